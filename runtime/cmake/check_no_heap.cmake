# Fails when a firmware defines or references a heap symbol (belt and braces with the
# --wrap link of firmware_checks.cmake: also catches a heap function pulled in whole).
#   cmake -DNM=arm-none-eabi-nm "-DSYMBOLS=malloc;free;..." "-DELFS=a.elf;b.elf" -P check_no_heap.cmake
foreach(elf ${ELFS})
  execute_process(COMMAND ${NM} "${elf}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${elf}")
  endif()
  foreach(sym ${SYMBOLS})
    if(out MATCHES "[ \n][A-Za-z] (__wrap_|__real_)?${sym}\n")
      message(FATAL_ERROR "${elf} uses the heap: symbol ${sym} is present")
    endif()
  endforeach()
  message("${elf}: no heap symbol")
endforeach()
