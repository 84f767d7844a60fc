// host-check.cu: the GPU layouts and the kernels' arithmetic, run on the host (no GPU needed): for random
// ternary matrices of awkward shapes, both layouts evaluated through the same functions the kernels call
// must give the exact W x. The kernels' thread indexing is checked on a GPU by `rsr bench cuda`.
#include "../src/ternary.cuh"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>

static uint64_t state = 42;
static uint32_t next_random() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(state >> 33);
}

// What i2_product computes for one row: the lanes' word dot products, minus sum(x).
static int i2_row(const uint8_t * layout, uint32_t row, uint32_t cols, const int8_t * x_padded, int32_t x_sum) {
    const uint32_t words = div_up(cols, I2_WORD_COLS);
    const uint4 * w = (const uint4 *)layout + (uint64_t)row * words;
    int acc = 0;
    for (uint32_t u = 0; u < words; ++u) {
        int4 x[4];
        memcpy(x, x_padded + 64 * u, sizeof x);
        acc = i2_word_dot(w[u], x, acc);
    }
    return acc - x_sum;
}

// What rsrt_product computes: per chunk, the tables, then each row's lookups, summed over chunks.
static void rsrt_rows(const uint8_t * layout, uint32_t rows, uint32_t cols, const int8_t * x, int32_t * y) {
    static int table[RSRT_CHUNK_GROUPS][RSRT_TABLE];
    memset(y, 0, rows * sizeof(int32_t));
    for (uint32_t chunk = 0; chunk < div_up(cols, RSRT_CHUNK_COLS); ++chunk) {
        const uint32_t first = chunk * RSRT_CHUNK_COLS, chunk_cols = cols - first < RSRT_CHUNK_COLS ? cols - first : RSRT_CHUNK_COLS;
        for (uint32_t g = 0; g < RSRT_CHUNK_GROUPS; ++g)
            for (uint32_t m = 0; m < RSRT_TABLE; ++m) table[g][m] = rsrt_table_entry(g, m, x + first, chunk_cols);
        for (uint32_t row = 0; row < rows; ++row) {
            uint32_t word[8];
            memcpy(word, layout + ((uint64_t)chunk * rows + row) * RSRT_CHUNK_GROUPS, sizeof word);
            y[row] += rsrt_chunk_row(word, table);
        }
    }
}

int main(void) {
    const uint32_t shapes[][2] = { { 1, 1 }, { 3, 7 }, { 33, 65 }, { 65, 161 }, { 100, 333 }, { 257, 1000 }, { 64, 4099 },
                                   { 17, 6912 } };
    int failures = 0, cases = 0;
    for (const auto & shape : shapes) {
        const uint32_t rows = shape[0], cols = shape[1];
        std::vector<int8_t> w((size_t)rows * cols), x(cols), x_padded(quantized_stride(cols), 0);
        for (int8_t & v : w) v = (int8_t)(next_random() % 3) - 1;
        int32_t x_sum = 0;
        for (uint32_t c = 0; c < cols; ++c) {
            x[c] = (int8_t)next_random();
            x_padded[c] = x[c];
            x_sum += x[c];
        }
        x_sum -= x[0]; // the extreme value too
        x[0] = x_padded[0] = -128;
        x_sum += x[0];
        std::vector<int32_t> expected(rows, 0), got(rows);
        for (uint32_t r = 0; r < rows; ++r)
            for (uint32_t c = 0; c < cols; ++c) expected[r] += w[(size_t)r * cols + c] * x[c];

        for (rsr_cuda_kernel kernel : { RSR_CUDA_KERNEL_PACKED_I2, RSR_CUDA_KERNEL_RSRT }) {
            std::vector<uint8_t> layout(ternary_layout_bytes(kernel, rows, cols));
            if (ternary_layout_build(kernel, w.data(), rows, cols, layout.data()) != RSR_CUDA_OK) {
                printf("FAIL %ux%u: building the layout: %s\n", rows, cols, rsr_cuda_last_error());
                ++failures;
                continue;
            }
            if (kernel == RSR_CUDA_KERNEL_PACKED_I2) {
                for (uint32_t r = 0; r < rows; ++r) got[r] = i2_row(layout.data(), r, cols, x_padded.data(), x_sum);
            } else {
                rsrt_rows(layout.data(), rows, cols, x.data(), got.data());
            }
            ++cases;
            for (uint32_t r = 0; r < rows; ++r) {
                if (got[r] != expected[r]) {
                    printf("FAIL %s %ux%u: row %u is %d, expected %d\n", kernel == RSR_CUDA_KERNEL_RSRT ? "rsr-t" : "packed-i2",
                           rows, cols, r, got[r], expected[r]);
                    ++failures;
                    break;
                }
            }
        }
    }
    // a weight outside {-1, 0, 1} is refused with a message naming it
    const int8_t bad[2] = { 1, 2 };
    uint8_t out[64];
    if (ternary_layout_build(RSR_CUDA_KERNEL_RSRT, bad, 1, 2, out) != RSR_CUDA_ERR_ARGUMENT || !strstr(rsr_cuda_last_error(), "(0, 1) is 2")) {
        printf("FAIL: a weight of 2 was not refused clearly (%s)\n", rsr_cuda_last_error());
        ++failures;
    }
    printf("host-check: %d of %d layout cases exact\n", cases - (failures > cases ? cases : failures), cases);
    return failures ? 1 : 0;
}
