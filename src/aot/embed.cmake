# embed.cmake - write aot_rt.h as a C string (the compiler driver installs
# it next to the generated code). cmake -DIN=aot_rt.h -DOUT=aot_rt_text.c -P
# SPDX-License-Identifier: Apache-2.0
file(READ "${IN}" content)
string(REPLACE "\\" "\\\\" content "${content}")
string(REPLACE "\"" "\\\"" content "${content}")
string(REPLACE "\n" "\\n\"\n\"" content "${content}")
file(WRITE "${OUT}.tmp" "/* Generated from src/aot/aot_rt.h by embed.cmake: do not edit. */\n#include \"aot.h\"\nconst char aot_rt_h_text[] = \"${content}\";\n")
file(RENAME "${OUT}.tmp" "${OUT}")
