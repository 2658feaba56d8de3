# utensor_add_model(): convert models to C++ as a build step of a CMake target and link
# the runtime. Included at the end of utensor's root CMakeLists.txt, so after
#
#   add_subdirectory(path/to/utensor utensor EXCLUDE_FROM_ALL)
#
# a project writes
#
#   add_executable(app main.cpp ...)
#   utensor_add_model(app models/my_model.tflite)            # relative to the caller
#
# and `#include "my_model.hpp"` in app. Options:
#
#   utensor_add_model(<target> <model>... [NAME <name>] [REPRESENTATIVE_DATA <file>]
#                     [USER_OPS <op>...] [PYTHON <interpreter>] [KEEP_INPUTS]
#                     [SHARED_ARENA])
#
#   <model>...           .tflite files (Keras .keras/.h5 files and SavedModel folders need
#                        an interpreter with TensorFlow); all models of a target in one call
#                        (they share one generated registry, utensor_models.cpp)
#   NAME                 C++ name of a single model (default: from the file name)
#   REPRESENTATIVE_DATA  .npy/.npz sample inputs: quantize a Keras/SavedModel model to int8
#   USER_OPS             operators the target implements (utensor/custom_op.hpp)
#   PYTHON               interpreter running the converter (default: UTENSOR_PYTHON, else
#                        the Python 3 CMake finds); it needs numpy and jinja2
#   KEEP_INPUTS          invoke() leaves the models' inputs intact (--keep-inputs)
#   SHARED_ARENA         the models never run at the same time: one arena sized for the
#                        largest scratch (--shared-arena; utensor_shared_arena.cpp); a
#                        stateful model keeps its state in a buffer of its own
#
# The converter reruns when a model, the data or a converter source changes; its output
# goes to <binary dir>/utensor_gen/<target>/. With Mbed CE (the mbed-core-flags target
# exists) the runtime is compiled with Mbed's flags and mbed_lib.json5's settings.

# A cache entry, so utensor_add_model() sees it from the caller's directory scope.
get_filename_component(_utensor_root "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
set(UTENSOR_ROOT "${_utensor_root}" CACHE INTERNAL "utensor library folder")
set(UTENSOR_PYTHON "" CACHE FILEPATH "Python interpreter for utensor's converter (default: found Python 3)")

if(TARGET mbed-core-flags AND TARGET utensor_runtime)
  # Mbed CE: its CPU flags, defines and mbed_config.h (where mbed_lib.json5's
  # utensor.arena-attribute lands as UTENSOR_ARENA_ATTRIBUTE) reach the runtime and,
  # through it, every target that links it.
  target_link_libraries(utensor_runtime PUBLIC mbed-core-flags)
endif()

# The C++ name the converter gives a model file (scripts/utensor/naming.py).
function(_utensor_model_name path out_var)
  get_filename_component(base "${path}" NAME)
  string(REGEX REPLACE "\\.(tflite|keras|h5)$" "" base "${base}")
  string(REGEX REPLACE "[^0-9A-Za-z_]" "_" base "${base}")
  string(REGEX REPLACE "_+" "_" base "${base}")
  string(REGEX REPLACE "^_|_$" "" base "${base}")
  if(base STREQUAL "")
    set(base "model")
  endif()
  if(base MATCHES "^[0-9]")
    set(base "m_${base}")
  endif()
  set(${out_var} "${base}" PARENT_SCOPE)
endfunction()

function(utensor_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "KEEP_INPUTS;SHARED_ARENA" "NAME;REPRESENTATIVE_DATA;PYTHON" "USER_OPS")
  set(models ${ARG_UNPARSED_ARGUMENTS})
  if(NOT TARGET ${target})
    message(FATAL_ERROR "utensor_add_model: ${target} is not a target; call it after "
                        "add_executable(${target} ...) or add_library(${target} ...).")
  endif()
  if(NOT models)
    message(FATAL_ERROR "utensor_add_model(${target}): give at least one model file.")
  endif()
  list(LENGTH models count)
  if(ARG_NAME AND count GREATER 1)
    message(FATAL_ERROR "utensor_add_model(${target}): NAME applies to a single model.")
  endif()

  set(python "${ARG_PYTHON}")
  if(NOT python)
    set(python "${UTENSOR_PYTHON}")
  endif()
  if(NOT python)
    find_package(Python3 COMPONENTS Interpreter REQUIRED)
    set(python "${Python3_EXECUTABLE}")
  endif()

  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/utensor_gen/${target}")
  set(args "")
  set(depends "")
  set(outputs "${out_dir}/utensor_models.cpp")
  foreach(model ${models})
    get_filename_component(model "${model}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${model}")
      message(FATAL_ERROR "utensor_add_model(${target}): ${model} not found (paths are "
                          "relative to ${CMAKE_CURRENT_SOURCE_DIR}).")
    endif()
    if(IS_DIRECTORY "${model}")
      file(GLOB_RECURSE model_files CONFIGURE_DEPENDS "${model}/*")
      list(APPEND depends ${model_files})
    else()
      list(APPEND depends "${model}")
    endif()
    if(ARG_NAME)
      set(name "${ARG_NAME}")
    else()
      _utensor_model_name("${model}" name)
    endif()
    list(APPEND outputs "${out_dir}/${name}.hpp" "${out_dir}/${name}.cpp")
    list(APPEND args "${model}")
  endforeach()
  # --exclusive: the folder is this target's; models dropped from the call leave nothing.
  list(APPEND args -o "${out_dir}" --exclusive)
  if(ARG_KEEP_INPUTS)
    list(APPEND args --keep-inputs)
  endif()
  if(ARG_SHARED_ARENA)
    list(APPEND args --shared-arena)
    list(APPEND outputs "${out_dir}/utensor_shared_arena.cpp")
  endif()
  if(ARG_NAME)
    list(APPEND args --name "${ARG_NAME}")
  endif()
  if(ARG_REPRESENTATIVE_DATA)
    get_filename_component(data "${ARG_REPRESENTATIVE_DATA}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --representative-data "${data}")
    list(APPEND depends "${data}")
  endif()
  foreach(op ${ARG_USER_OPS})
    list(APPEND args --user-op "${op}")
  endforeach()

  # The converter's own sources: a new utensor version regenerates.
  file(GLOB_RECURSE converter_sources CONFIGURE_DEPENDS
       "${UTENSOR_ROOT}/scripts/utensor/*.py" "${UTENSOR_ROOT}/scripts/utensor/*.j2")

  # The converter leaves unchanged files untouched; the touch keeps make from rerunning it.
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${out_dir}"
    COMMAND "${CMAKE_COMMAND}" -E env "PYTHONPATH=${UTENSOR_ROOT}/scripts" PYTHONDONTWRITEBYTECODE=1
            "${python}" -m utensor convert ${args}
    COMMAND "${CMAKE_COMMAND}" -E touch ${outputs}
    DEPENDS ${depends} ${converter_sources}
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    COMMENT "utensor: converting ${models}"
    VERBATIM)
  target_sources(${target} PRIVATE ${outputs})
  target_include_directories(${target} PRIVATE "${out_dir}")
  target_link_libraries(${target} PRIVATE utensor_runtime)
endfunction()
