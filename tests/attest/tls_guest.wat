;; tls_guest.wat - a WASI server: on the first preopened socket (fd 3),
;; accepts seven connections one after the other and writes a greeting to
;; each; run under `mantle run --listen-tls` it is an attested TLS server.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept"
    (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 400) "hello from the enclave\n")
  (func (export "_start")
    (local $i i32) (local $fd i32)
    ;; subscription: userdata 1, FD_READ on fd 3
    (i64.store (i32.const 100) (i64.const 1))
    (i32.store8 (i32.const 108) (i32.const 1))
    (i32.store (i32.const 116) (i32.const 3))
    (i32.store (i32.const 500) (i32.const 400))
    (i32.store (i32.const 504) (i32.const 23))
    (loop $next
      (drop (call $poll (i32.const 100) (i32.const 200) (i32.const 1)
                        (i32.const 300)))
      (if (call $accept (i32.const 3) (i32.const 0) (i32.const 304))
        (then (call $exit (i32.const 3))))
      (local.set $fd (i32.load (i32.const 304)))
      (drop (call $write (local.get $fd) (i32.const 500) (i32.const 1)
                         (i32.const 508)))
      (drop (call $close (local.get $fd)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 7))))))
