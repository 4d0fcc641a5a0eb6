/* The frame stamp: a pixel barcode in the top band of a luma plane that carries the frame's true
 * capture time (µs since the Unix epoch) through lossy H.264/H.265 encoding, so tests can tell
 * how far a recorder's idea of a frame's wall time is from the truth. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Only the low 52 bits of a stamp are carried (enough for µs until the year 2112). */
#define HW_STAMP_VALUE_BITS 52
#define HW_STAMP_VALUE_MASK ((UINT64_C(1) << HW_STAMP_VALUE_BITS) - 1)

/* Smallest plane the stamp fits in: every cell needs at least 2 px. */
#define HW_STAMP_MIN_WIDTH 64
#define HW_STAMP_MIN_HEIGHT 16

/* Height in rows of the band the stamp occupies at the top of a frame of this height; the
 * picture below it is untouched. */
int hw_stamp_band_height(int height);

/* Draws value_us (low 52 bits) with its CRC-8 into the top band of an 8-bit luma plane
 * (I420/NV12 Y). Does nothing on planes smaller than HW_STAMP_MIN_WIDTH x HW_STAMP_MIN_HEIGHT. */
void hw_stamp_draw(uint8_t *luma, int stride, int width, int height, uint64_t value_us);

/* Reads a stamp drawn by hw_stamp_draw, possibly after lossy coding. Returns true and sets
 * *ret_us when the guard cells and the checksum agree; false (and *ret_us untouched) otherwise. */
bool hw_stamp_read(const uint8_t *luma, int stride, int width, int height, uint64_t *ret_us);
