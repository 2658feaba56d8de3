# Toolchain file for bare-metal Cortex-M with arm-none-eabi-gcc.
#   cmake -DCMAKE_TOOLCHAIN_FILE=runtime/cmake/arm-none-eabi.cmake -DUTENSOR_CPU=cortex-m4 ..
# UTENSOR_CPU: cortex-m0, cortex-m3, cortex-m4 (default), cortex-m7, cortex-m33, cortex-m55
# (the short forms m0 ... m55 work too). Float ABI: soft where the core has no FPU, hard
# with the core's single-precision FPU otherwise, as the QEMU boards in DESIGN.md use.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "arm-none-eabi-size")
set(CMAKE_NM arm-none-eabi-nm CACHE FILEPATH "arm-none-eabi-nm")
# Test programs cannot link without a board's startup code and linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

set(UTENSOR_CPU "cortex-m4" CACHE STRING "Target core: cortex-m0/m3/m4/m7/m33/m55")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES UTENSOR_CPU)
string(REGEX REPLACE "^m" "cortex-m" _utensor_cpu "${UTENSOR_CPU}")

if(_utensor_cpu STREQUAL "cortex-m0" OR _utensor_cpu STREQUAL "cortex-m3")
  set(_utensor_arch_flags "-mcpu=${_utensor_cpu} -mthumb -mfloat-abi=soft")
elseif(_utensor_cpu STREQUAL "cortex-m4")
  set(_utensor_arch_flags "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
elseif(_utensor_cpu STREQUAL "cortex-m7")
  set(_utensor_arch_flags "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard")
elseif(_utensor_cpu STREQUAL "cortex-m33")
  set(_utensor_arch_flags "-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard")
elseif(_utensor_cpu STREQUAL "cortex-m55")
  set(_utensor_arch_flags "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")
else()
  message(FATAL_ERROR "UTENSOR_CPU=${UTENSOR_CPU} is not supported: use cortex-m0, cortex-m3, "
                      "cortex-m4, cortex-m7, cortex-m33 or cortex-m55.")
endif()

set(CMAKE_C_FLAGS_INIT "${_utensor_arch_flags} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${_utensor_arch_flags} -ffunction-sections -fdata-sections -fno-threadsafe-statics")
set(CMAKE_ASM_FLAGS_INIT "${_utensor_arch_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_utensor_arch_flags} --specs=nano.specs -Wl,--gc-sections")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Os -DNDEBUG")
set(CMAKE_CXX_FLAGS_MINSIZEREL_INIT "-Os -DNDEBUG")
