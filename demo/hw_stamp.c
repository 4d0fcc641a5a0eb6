/* The frame stamp's layout: 2 rows x 32 cells spanning the frame's width. Each row opens with two
 * guard cells (row 0: white, black; row 1: black, white) that give the reader its threshold, then
 * 30 data cells: 52 value bits (MSB first) followed by a CRC-8 of them. */
#include "demo/hw_stamp.h"

#include <stddef.h>
#include <string.h>

enum {
  STAMP_COLS = 32,
  STAMP_ROWS = 2,
  STAMP_GUARDS = 2,
  STAMP_DATA_PER_ROW = STAMP_COLS - STAMP_GUARDS,
  STAMP_BITS = HW_STAMP_VALUE_BITS + 8,
  LUMA_BLACK = 16,
  LUMA_WHITE = 235,
};

_Static_assert(STAMP_BITS == STAMP_ROWS * STAMP_DATA_PER_ROW, "stamp layout must hold 60 bits");

/* CRC-8/ATM (poly 0x07) over the value's 7 bytes, big-endian. */
static uint8_t stamp_crc8(uint64_t value)
{
  uint8_t crc = 0;
  for (int i = 6; i >= 0; i--) {
    crc ^= (uint8_t)(value >> (8 * i));
    for (int b = 0; b < 8; b++)
      crc = (uint8_t)((crc & 0x80) ? (crc << 1) ^ 0x07 : crc << 1);
  }
  return crc;
}

int hw_stamp_band_height(int height) { return STAMP_ROWS * ((height / 32 > 8) ? height / 32 : 8); }

/* Cell geometry. Cells are whole pixels so that every cell has a flat centre even after the
 * encoder's transforms smear its edges. */
static void stamp_geometry(int width, int height, int *ret_cell_w, int *ret_row_h)
{
  *ret_cell_w = width / STAMP_COLS;
  *ret_row_h = hw_stamp_band_height(height) / STAMP_ROWS;
}

static bool stamp_fits(int width, int height)
{
  return width >= HW_STAMP_MIN_WIDTH && height >= HW_STAMP_MIN_HEIGHT;
}

/* The cell's colour: true for white. Index runs row-major over all 64 cells. */
static bool stamp_cell_is_white(uint64_t value, uint8_t crc, int row, int col)
{
  if (col < STAMP_GUARDS)
    return (row == 0) == (col == 0);
  int bit = row * STAMP_DATA_PER_ROW + (col - STAMP_GUARDS);
  if (bit < HW_STAMP_VALUE_BITS)
    return (value >> (HW_STAMP_VALUE_BITS - 1 - bit)) & 1;
  return (crc >> (STAMP_BITS - 1 - bit)) & 1;
}

void hw_stamp_draw(uint8_t *luma, int stride, int width, int height, uint64_t value_us)
{
  if (luma == NULL || !stamp_fits(width, height))
    return;
  int cell_w, row_h;
  stamp_geometry(width, height, &cell_w, &row_h);
  uint64_t value = value_us & HW_STAMP_VALUE_MASK;
  uint8_t crc = stamp_crc8(value);

  for (int row = 0; row < STAMP_ROWS; row++) {
    uint8_t *first = luma + (size_t)(row * row_h) * (size_t)stride;
    for (int x = 0; x < width; x++) {
      int col = x / cell_w;
      first[x] =
          (col < STAMP_COLS && stamp_cell_is_white(value, crc, row, col)) ? LUMA_WHITE : LUMA_BLACK;
    }
    /* The row's other lines are copies of its first. */
    for (int y = 1; y < row_h; y++)
      memcpy(first + (size_t)y * (size_t)stride, first, (size_t)width);
  }
}

/* Mean luma of the middle half of a cell in both directions: the part the encoder's ringing at
 * cell edges leaves alone. */
static int stamp_cell_mean(const uint8_t *luma, int stride, int cell_w, int row_h, int row, int col)
{
  int x0 = col * cell_w + cell_w / 4, x1 = col * cell_w + (3 * cell_w + 3) / 4;
  int y0 = row * row_h + row_h / 4, y1 = row * row_h + (3 * row_h + 3) / 4;
  if (x1 <= x0)
    x1 = x0 + 1;
  unsigned sum = 0, n = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++, n++)
      sum += luma[(size_t)y * (size_t)stride + (size_t)x];
  return (int)(sum / n);
}

bool hw_stamp_read(const uint8_t *luma, int stride, int width, int height, uint64_t *ret_us)
{
  if (luma == NULL || !stamp_fits(width, height))
    return false;
  int cell_w, row_h;
  stamp_geometry(width, height, &cell_w, &row_h);

  /* Each row gets its own threshold from its guards, so a row darkened or brightened as a whole
   * by the encoder still reads; guards that do not contrast mean there is no stamp here. */
  int threshold[STAMP_ROWS];
  for (int row = 0; row < STAMP_ROWS; row++) {
    int white = stamp_cell_mean(luma, stride, cell_w, row_h, row, row == 0 ? 0 : 1);
    int black = stamp_cell_mean(luma, stride, cell_w, row_h, row, row == 0 ? 1 : 0);
    if (white - black < (LUMA_WHITE - LUMA_BLACK) / 2)
      return false;
    threshold[row] = (white + black) / 2;
  }

  uint64_t value = 0;
  unsigned crc = 0;
  for (int row = 0; row < STAMP_ROWS; row++) {
    for (int col = STAMP_GUARDS; col < STAMP_COLS; col++) {
      int bit = row * STAMP_DATA_PER_ROW + (col - STAMP_GUARDS);
      unsigned one = stamp_cell_mean(luma, stride, cell_w, row_h, row, col) > threshold[row];
      if (bit < HW_STAMP_VALUE_BITS)
        value = (value << 1) | one;
      else
        crc = (crc << 1) | one;
    }
  }
  if (stamp_crc8(value) != crc)
    return false;
  *ret_us = value;
  return true;
}
