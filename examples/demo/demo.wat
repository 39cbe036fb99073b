;; demo.wat - the `make demo` workload: count primes with a sieve, and fib.
;; SPDX-License-Identifier: Apache-2.0
;;
;; Exports (run with `mantle run demo.wasm --invoke NAME ARGS`):
;;   count_primes(n: i32) -> i32   primes below n; a byte-per-number sieve
;;                                 in linear memory, grown to fit n bytes
;;   fib(n: i32) -> i64            the n-th Fibonacci number, iteratively
(module $demo
  (memory (export "memory") 1)

  (func $count_primes (export "count_primes") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32) (local $need i32)
    (if (i32.lt_u (local.get $n) (i32.const 3))
      (then (return (i32.const 0))))
    ;; pages needed for n bytes; trap (unreachable) if memory cannot grow
    (local.set $need
      (i32.sub (i32.shr_u (i32.add (local.get $n) (i32.const 0xffff))
                          (i32.const 16))
               (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (local.get $need)) (i32.const -1))
          (then unreachable))))
    ;; mark[i] = 1: i is composite
    (memory.fill (i32.const 0) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.eqz (i32.load8_u (local.get $i)))
          (then
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $marked
              ;; i*i may overflow past n: compare in 64 bits
              (br_if $marked
                (i64.ge_u (i64.mul (i64.extend_i32_u (local.get $i))
                                   (i64.extend_i32_u (local.get $i)))
                          (i64.extend_i32_u (local.get $n))))
              (loop $inner
                (i32.store8 (local.get $j) (i32.const 1))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br_if $inner (i32.lt_u (local.get $j) (local.get $n)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $count))

  (func $fib (export "fib") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $a)))
