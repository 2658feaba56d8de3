# Prints the flash (text+data) and RAM (data+bss) that the runtime core adds to an empty
# Cortex-M firmware, and the largest core symbols. Run by the `size_report` target:
#   cmake -DSIZE=arm-none-eabi-size -DNM=arm-none-eabi-nm -DBASE=fw_empty.elf
#         -DCORE=fw_core_size.elf -DCPU=cortex-m4 -DBUDGET=2048 [-DENFORCE=ON]
#         -P size_report.cmake
# With ENFORCE=ON it fails when the flash figure is above BUDGET.
cmake_policy(SET CMP0007 NEW)

function(_berkeley elf out_text out_data out_bss)
  execute_process(COMMAND ${SIZE} -B "${elf}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SIZE} failed on ${elf}")
  endif()
  string(REGEX MATCH "\n[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)" _ "${out}")
  set(${out_text} ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(${out_data} ${CMAKE_MATCH_2} PARENT_SCOPE)
  set(${out_bss} ${CMAKE_MATCH_3} PARENT_SCOPE)
endfunction()

_berkeley("${BASE}" base_text base_data base_bss)
_berkeley("${CORE}" core_text core_data core_bss)
math(EXPR flash "(${core_text} + ${core_data}) - (${base_text} + ${base_data})")
math(EXPR ram "(${core_data} + ${core_bss}) - (${base_data} + ${base_bss})")

# Largest symbols of the core firmware that the baseline does not have.
execute_process(COMMAND ${NM} -C "${BASE}" OUTPUT_VARIABLE base_syms)
execute_process(COMMAND ${NM} -C --size-sort -S "${CORE}" OUTPUT_VARIABLE syms)
string(REPLACE ";" "," syms "${syms}")
string(REPLACE "\n" ";" syms "${syms}")
list(REVERSE syms)
set(top "")
set(n 0)
foreach(line ${syms})
  if(n LESS 12 AND line MATCHES "^[0-9a-f]+ ([0-9a-f]+) ([A-Za-z]) (.*)$")
    string(FIND "${base_syms}" " ${CMAKE_MATCH_3}\n" in_base)
    if(NOT in_base EQUAL -1)
      continue()
    endif()
    math(EXPR bytes "0x${CMAKE_MATCH_1}" OUTPUT_FORMAT DECIMAL)
    string(APPEND top "    ${bytes}\t${CMAKE_MATCH_2}\t${CMAKE_MATCH_3}\n")
    math(EXPR n "${n} + 1")
  endif()
endforeach()

message("utensor core size on ${CPU} (-Os, --gc-sections, newlib-nano; core firmware minus "
        "empty firmware):\n"
        "  flash (text+data): ${flash} bytes (budget ${BUDGET})\n"
        "  RAM (data+bss):    ${ram} bytes\n"
        "  largest symbols (bytes, type, name):\n${top}")
if(flash GREATER BUDGET)
  math(EXPR over "${flash} - ${BUDGET}")
  message("  OVER BUDGET by ${over} bytes")
  if(ENFORCE)
    message(FATAL_ERROR "core flash ${flash} > budget ${BUDGET}")
  endif()
endif()
