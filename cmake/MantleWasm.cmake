# MantleWasm.cmake - build-time helpers for Wasm test inputs.
# SPDX-License-Identifier: Apache-2.0
find_program(WAT2WASM wat2wasm REQUIRED)

# wat2wasm at build time into the current binary dir; --debug-names keeps
# function names for backtraces.
function(mantle_wat2wasm name src)
  add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm
    COMMAND ${WAT2WASM} --debug-names ${src} -o ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm
    DEPENDS ${src}
    COMMENT "wat2wasm ${name}.wasm")
  add_custom_target(${name}_wasm ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
endfunction()
