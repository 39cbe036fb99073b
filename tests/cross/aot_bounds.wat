;; aot_bounds.wat - bounds, growth and traps of AOT code, run with
;; `mantle run --tier=aot --invoke NAME` (tests/cross/CMakeLists.txt).
;; SPDX-License-Identifier: Apache-2.0
;;
;; Natively (x86-64) and under qemu on aarch64 and riscv64 the code leaves
;; bounds to the 8 GiB guard reservation and the fault handler; on armv7
;; it checks explicitly, and a memory without a maximum cannot reserve
;; 4 GiB there, so it moves when it grows: generated code must reload its
;; base and size after every call that may grow it. Each export returns
;; 1 on success or traps as its name says.
(module
  (memory 1)

  (func $grow (param $pages i32) (result i32)
    (memory.grow (local.get $pages)))

  ;; Data survives growth in a callee; the new last word is reachable
  ;; from the caller and the old pages are still there.
  (func (export "moves") (result i32)
    (i32.store (i32.const 100) (i32.const 0x12345678))
    (drop (call $grow (i32.const 15)))
    (drop (call $grow (i32.const 16)))
    (i32.store (i32.const 2097148) (i32.const 0x0badf00d)) ;; 32 pages - 4
    (i32.and
      (i32.eq (i32.load (i32.const 100)) (i32.const 0x12345678))
      (i32.and
        (i32.eq (memory.size) (i32.const 32))
        (i32.eq (i32.load (i32.const 2097148)) (i32.const 0x0badf00d)))))

  ;; One page grown in a callee: the 4 bytes that straddle the new end
  ;; trap, whatever the caller saw before the call.
  (func (export "oob_after_grow") (result i32)
    (drop (i32.load (i32.const 65532)))
    (drop (call $grow (i32.const 1)))
    (i32.load (i32.const 131069)))

  ;; address + offset past 4 GiB must not wrap around to a valid address.
  (func (export "oob_wrap") (result i32)
    (i32.load offset=4294967295 (i32.const 1)))

  ;; The last byte is in, the next one is out.
  (func (export "edge") (result i32)
    (i32.store8 (i32.const 65535) (i32.const 7))
    (i32.eq (i32.load8_u (i32.const 65535)) (i32.const 7)))
  (func (export "oob_edge") (result i32)
    (i32.load16_u (i32.const 65535)))

  (func (export "div0") (param $d i32) (result i32)
    (i32.div_s (i32.const 1) (local.get $d)))

  (func $deep (export "deep") (param $n i32) (result i32)
    (i32.add (call $deep (i32.add (local.get $n) (i32.const 1)))
             (i32.const 1)))
)
