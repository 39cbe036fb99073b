/* bulk.h - segment and bulk table/memory operations.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef MANTLE_VM_BULK_H
#define MANTLE_VM_BULK_H

#include "vm.h"

mantle_trap_kind vm_table_init(mantle_instance *inst, uint32_t table_idx,
                               uint32_t elem_idx, uint32_t d, uint32_t s,
                               uint32_t n);
mantle_trap_kind vm_memory_init(mantle_instance *inst, uint32_t data_idx,
                                uint32_t d, uint32_t s, uint32_t n);
mantle_trap_kind vm_table_copy(mantle_instance *inst, uint32_t dst_idx,
                               uint32_t src_idx, uint32_t d, uint32_t s,
                               uint32_t n);
mantle_trap_kind vm_table_fill(mantle_instance *inst, uint32_t table_idx,
                               uint32_t d, void *val, uint32_t n);
int vm_segments_init(mantle_instance *inst, mantle_diag *diag);

#endif
