#ifndef UTENSOR_UTENSOR_HPP
#define UTENSOR_UTENSOR_HPP

// Everything a generated model or an application needs from the runtime core and library.

#include "utensor/version.hpp"
#include "utensor/core/allocator.hpp"
#include "utensor/core/context.hpp"
#include "utensor/core/error_handler.hpp"
#include "utensor/core/event.hpp"
#include "utensor/core/status.hpp"
#include "utensor/core/tensor.hpp"
#include "utensor/core/types.hpp"
#include "utensor/lib/buffer_tensor.hpp"
#include "utensor/lib/circular_arena_allocator.hpp"
#include "utensor/lib/linear_arena_allocator.hpp"
#include "utensor/lib/ram_tensor.hpp"
#include "utensor/lib/rom_tensor.hpp"
#include "utensor/lib/simple_error_handler.hpp"

#endif  // UTENSOR_UTENSOR_HPP
