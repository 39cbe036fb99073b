# SPDX-License-Identifier: Apache-2.0
# mantle_lattice: the fleet's NATS half (docs/fleet.md): connection, KV
# buckets, the ADR-20 object store and the reconciler, over nats.c
# (libnats-dev). mantled (member.c) and mantle (deploy, invoke) link it.
pkg_check_modules(LATTICE_NATS REQUIRED IMPORTED_TARGET libnats)
add_library(mantle_lattice STATIC ${CMAKE_CURRENT_LIST_DIR}/lattice.c
            ${CMAKE_CURRENT_LIST_DIR}/objstore.c
            ${CMAKE_CURRENT_LIST_DIR}/reconcile.c)
target_include_directories(mantle_lattice PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(mantle_lattice PUBLIC mantle_fleet PkgConfig::LATTICE_NATS
                      OpenSSL::Crypto)
