# Cortex-M checks of the runtime core, included by the root CMakeLists.txt when cross
# compiling (see arm-none-eabi.cmake):
#   fw_empty      startup only: the baseline of the size report
#   fw_core_size  Tensor + BufferTensor + Context + static arena + SimpleErrorHandler
#   fw_core_test  the seed snippets and safety rules, run under QEMU by ctest
# Both runtime firmwares link with the heap made unavailable: every reference to malloc,
# free, _sbrk or a global operator new/delete is redirected by --wrap to an undefined
# symbol, and no newlib syscall stubs are linked, so any heap use fails the link.
# Targets: `size_report` prints the figures; ctest runs noheap_symbols, size_budget and
# (when QEMU has a board for UTENSOR_CPU) target_core_test.

set(UTENSOR_FW_DIR "${CMAKE_CURRENT_LIST_DIR}/../../test/cpp/firmware")
set(UTENSOR_CORE_FLASH_BUDGET 2048 CACHE STRING "Most flash bytes the core may add")
set(UTENSOR_HEAP_SYMBOLS
    malloc free calloc realloc _malloc_r _free_r _calloc_r _realloc_r _sbrk _sbrk_r
    _Znwj _Znaj _ZdlPv _ZdaPv _ZdlPvj _ZdaPvj _ZnwjRKSt9nothrow_t _ZnajRKSt9nothrow_t)
set(_utensor_wrap_flags "")
foreach(sym ${UTENSOR_HEAP_SYMBOLS})
  list(APPEND _utensor_wrap_flags "-Wl,--wrap=${sym}")
endforeach()

function(utensor_firmware name main_source forbid_heap)
  add_executable(${name} "${UTENSOR_FW_DIR}/startup.c" "${main_source}")
  set_target_properties(${name} PROPERTIES SUFFIX ".elf")
  target_compile_options(${name} PRIVATE ${UTENSOR_WARNINGS} ${UTENSOR_CXX_FLAGS})
  target_link_options(${name} PRIVATE -nostartfiles -T "${UTENSOR_FW_DIR}/firmware.ld"
                      "-Wl,-Map=$<TARGET_FILE:${name}>.map")
  set_target_properties(${name} PROPERTIES LINK_DEPENDS "${UTENSOR_FW_DIR}/firmware.ld")
  if(forbid_heap)
    target_link_options(${name} PRIVATE ${_utensor_wrap_flags})
    target_link_libraries(${name} PRIVATE utensor_runtime)
  endif()
endfunction()

utensor_firmware(fw_empty "${UTENSOR_FW_DIR}/empty_main.cpp" OFF)
utensor_firmware(fw_core_size "${UTENSOR_FW_DIR}/core_size_main.cpp" ON)
utensor_firmware(fw_core_test "${UTENSOR_FW_DIR}/core_on_target.cpp" ON)
# A firmware that calls malloc and new: its link must fail (the check can fail).
utensor_firmware(fw_uses_heap "${UTENSOR_FW_DIR}/uses_heap_main.cpp" ON)
set_target_properties(fw_uses_heap PROPERTIES EXCLUDE_FROM_ALL ON)

set(_utensor_size_args
    -DSIZE=${CMAKE_SIZE} -DNM=${CMAKE_NM}
    -DBASE=$<TARGET_FILE:fw_empty> -DCORE=$<TARGET_FILE:fw_core_size>
    -DCPU=${UTENSOR_CPU} -DBUDGET=${UTENSOR_CORE_FLASH_BUDGET}
    -P "${CMAKE_CURRENT_LIST_DIR}/size_report.cmake")
add_custom_target(size_report ALL
                  COMMAND ${CMAKE_COMMAND} ${_utensor_size_args}
                  DEPENDS fw_empty fw_core_size
                  COMMENT "utensor core size report (${UTENSOR_CPU})" VERBATIM)

enable_testing()
add_test(NAME size_budget COMMAND ${CMAKE_COMMAND} -DENFORCE=ON ${_utensor_size_args})
add_test(NAME noheap_link_rejects_malloc
         COMMAND ${CMAKE_COMMAND} --build "${CMAKE_BINARY_DIR}" --target fw_uses_heap)
set_tests_properties(noheap_link_rejects_malloc PROPERTIES
                     PASS_REGULAR_EXPRESSION "undefined reference to .__wrap_malloc")
add_test(NAME noheap_symbols
         COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} "-DSYMBOLS=${UTENSOR_HEAP_SYMBOLS}"
                 "-DELFS=$<TARGET_FILE:fw_core_size>;$<TARGET_FILE:fw_core_test>"
                 -P "${CMAKE_CURRENT_LIST_DIR}/check_no_heap.cmake")

# QEMU machine per core (the project's boards); none for a core QEMU cannot run here.
string(REGEX REPLACE "^m" "cortex-m" _utensor_cpu_name "${UTENSOR_CPU}")
set(_utensor_machine_cortex-m0 microbit)
set(_utensor_machine_cortex-m3 mps2-an385)
set(_utensor_machine_cortex-m4 mps2-an386)
set(_utensor_machine_cortex-m7 mps2-an500)
set(_utensor_machine_cortex-m55 mps3-an547)
set(_utensor_machine "${_utensor_machine_${_utensor_cpu_name}}")
find_program(UTENSOR_QEMU qemu-system-arm)
if(_utensor_machine AND UTENSOR_QEMU)
  add_test(NAME target_core_test
           COMMAND timeout 60 ${UTENSOR_QEMU} -machine ${_utensor_machine} -nographic
                   -monitor none -serial none -semihosting-config enable=on,target=native
                   -kernel $<TARGET_FILE:fw_core_test>)
  set_tests_properties(target_core_test PROPERTIES
                       PASS_REGULAR_EXPRESSION "~~~ALL TESTS PASSED~~~"
                       FAIL_REGULAR_EXPRESSION "FAIL")
endif()
