/* vec.h: the one growable array: room made by doubling, overflow-checked. */
#ifndef GRANTD_VEC_H
#define GRANTD_VEC_H

#include <stddef.h>

/*
 * An array is three variables of the caller's: T *items (NULL or malloc'd),
 * size_t n and size_t cap.  vec_reserve makes room for at least `need`
 * items of `size` bytes, doubling cap from 16; vec_push copies one item to
 * items[n++].  `items` is the address of the caller's T * (passed as void *
 * so that any T works).  0, or GD_ENOMEM with nothing changed.  The caller
 * frees *items.
 */
int vec_reserve(void *items, size_t *cap, size_t need, size_t size);
int vec_push(void *items, size_t *n, size_t *cap, const void *item, size_t size);

#endif
