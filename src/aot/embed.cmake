# embed.cmake - write aot_rt.h as a C string (the compiler driver installs
# it next to the generated code), followed by IN2 (the SIMD lane semantics,
# src/vm/simd.h, which the generated code shares with the interpreter) and
# IN3 (their vector fast paths, src/vm/simd_vec.h, which route the hot
# operators; its #include of simd.h is dropped: the text is already there).
# cmake -DIN=aot_rt.h -DIN2=simd.h -DIN3=simd_vec.h -DOUT=aot_rt_text.c -P
# SPDX-License-Identifier: Apache-2.0
set(content "")
foreach(part IN ITEMS "${IN}" "${IN2}" "${IN3}")
  file(READ "${part}" text)
  string(REPLACE "#include \"simd.h\"" "" text "${text}")
  string(APPEND content "${text}")
endforeach()
string(REPLACE "\\" "\\\\" content "${content}")
string(REPLACE "\"" "\\\"" content "${content}")
string(REPLACE "\n" "\\n\"\n\"" content "${content}")
file(WRITE "${OUT}.tmp" "/* Generated from src/aot/aot_rt.h, src/vm/simd.h and simd_vec.h by embed.cmake: do not edit. */\n#include \"aot.h\"\nconst char aot_rt_h_text[] = \"${content}\";\n")
file(RENAME "${OUT}.tmp" "${OUT}")
