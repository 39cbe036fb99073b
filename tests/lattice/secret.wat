;; secret.wat - a fleet replica for tests/lattice/secrets_test.sh: answers
;; "fnv1a64 <16 hex digits>" of the secret db-key its TEE gives it
;; (tee_secret), so the test sees the replica got the exact bytes without
;; the secret itself crossing NATS; "no secret" and exit 3 without one.
;; SPDX-License-Identifier: Apache-2.0
(module
  (import "mantle" "tee_secret"
    (func $secret (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; 0: iovec; 8: written; 12: secret length; 16: name; 32: "no secret\n";
  ;; 64: "fnv1a64 " then 16 hex digits and "\n"; 112: hex digits;
  ;; 1024..5119: the secret
  (data (i32.const 16) "db-key")
  (data (i32.const 32) "no secret\n")
  (data (i32.const 64) "fnv1a64 ")
  (data (i32.const 112) "0123456789abcdef")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $h i64) (local $i i32) (local $n i32)
    (if (call $secret (i32.const 16) (i32.const 6) (i32.const 1024)
                      (i32.const 4096) (i32.const 12))
      (then
        (call $write (i32.const 32) (i32.const 10))
        (call $exit (i32.const 3))))
    (local.set $n (i32.load (i32.const 12)))
    ;; FNV-1a, 64 bits: offset basis 0xcbf29ce484222325, prime 0x100000001b3
    (local.set $h (i64.const -3750763034362895579))
    (local.set $i (i32.const 0))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h (i64.mul
          (i64.xor (local.get $h)
                   (i64.extend_i32_u (i32.load8_u (i32.add (i32.const 1024) (local.get $i)))))
          (i64.const 1099511628211)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (local.set $i (i32.const 0))
    (block $hexdone
      (loop $hex
        (br_if $hexdone (i32.ge_u (local.get $i) (i32.const 16)))
        (i32.store8 (i32.add (i32.const 72) (local.get $i))
          (i32.load8_u (i32.add (i32.const 112)
            (i32.wrap_i64 (i64.and
              (i64.shr_u (local.get $h)
                         (i64.extend_i32_u (i32.sub (i32.const 60)
                                                    (i32.mul (local.get $i) (i32.const 4)))))
              (i64.const 15))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $hex)))
    (i32.store8 (i32.const 88) (i32.const 10))
    (call $write (i32.const 64) (i32.const 25))))
