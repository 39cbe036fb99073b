# embed.cmake - write aot_rt.h as a C string (the compiler driver installs
# it next to the generated code), followed by IN2 (the SIMD lane semantics,
# src/vm/simd.h, which the generated code shares with the interpreter).
# cmake -DIN=aot_rt.h -DIN2=simd.h -DOUT=aot_rt_text.c -P
# SPDX-License-Identifier: Apache-2.0
set(content "")
foreach(part IN ITEMS "${IN}" "${IN2}")
  file(READ "${part}" text)
  string(APPEND content "${text}")
endforeach()
string(REPLACE "\\" "\\\\" content "${content}")
string(REPLACE "\"" "\\\"" content "${content}")
string(REPLACE "\n" "\\n\"\n\"" content "${content}")
file(WRITE "${OUT}.tmp" "/* Generated from src/aot/aot_rt.h and src/vm/simd.h by embed.cmake: do not edit. */\n#include \"aot.h\"\nconst char aot_rt_h_text[] = \"${content}\";\n")
file(RENAME "${OUT}.tmp" "${OUT}")
