// host-check.cu: the GPU layouts and the kernels' arithmetic, run on the host (no GPU needed): for random
// ternary matrices of awkward shapes, both layouts evaluated through the same functions the kernels call
// must give the exact W x, packed-i2 batches on Tensor Cores too (through an emulation of the instruction's
// documented fragments); for random integer matrices of every bit width, both bit-plane kernels' per-group
// sums (the mma one emulated likewise) and the fold must give the floats of the CPU kernels' arithmetic bit
// for bit; the Q6_256 head's lanes must add up to each block's exact sum. The kernels' thread indexing is
// checked on a GPU by `rsr bench cuda`.
#include "../src/head.cuh"
#include "../src/planes.cuh"
#include "../src/ternary.cuh"

#include <algorithm>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utility>
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

// mma.m16n8k32 u8 x s8 from the lanes' fragments, as the PTX ISA lays them out.
static void emulate_mma(const uint32_t a[32][4], const uint32_t b[32][2], int32_t c[32][4]) {
    uint8_t A[16][32];
    int8_t B[32][8];
    for (uint32_t lane = 0; lane < 32; ++lane) {
        const uint32_t g = lane / 4, t = lane % 4;
        for (uint32_t j = 0; j < 4; ++j) {
            A[g][4 * t + j] = (uint8_t)(a[lane][0] >> 8 * j);
            A[g + 8][4 * t + j] = (uint8_t)(a[lane][1] >> 8 * j);
            A[g][16 + 4 * t + j] = (uint8_t)(a[lane][2] >> 8 * j);
            A[g + 8][16 + 4 * t + j] = (uint8_t)(a[lane][3] >> 8 * j);
            B[4 * t + j][g] = (int8_t)(b[lane][0] >> 8 * j);
            B[16 + 4 * t + j][g] = (int8_t)(b[lane][1] >> 8 * j);
        }
    }
    for (uint32_t lane = 0; lane < 32; ++lane) {
        const uint32_t g = lane / 4, t = lane % 4;
        for (uint32_t e = 0; e < 4; ++e) {
            const uint32_t row = g + 8 * (e / 2), col = 2 * t + e % 2;
            for (uint32_t k = 0; k < 32; ++k) c[lane][e] += A[row][k] * B[k][col];
        }
    }
}

// What i2_product_mma computes for batch vectors of x (stride bytes apart, zero-padded): 16-row by 8-vector
// tiles through the instruction's emulation, word by word, minus each vector's sum.
static void i2_mma_rows(const uint8_t * layout, uint32_t rows, uint32_t cols, const int8_t * x, uint32_t stride, uint32_t batch,
                        const int32_t * sums, int32_t * y) {
    const uint32_t words = div_up(cols, I2_WORD_COLS);
    const uint32_t zero_word[4] = {}, zero_x[16] = {};
    for (uint32_t r0 = 0; r0 < rows; r0 += 16) {
        for (uint32_t v0 = 0; v0 < batch; v0 += 8) {
            int32_t acc[32][4] = {};
            for (uint32_t u = 0; u < words; ++u) {
                for (uint32_t h = 0; h < 2; ++h) {
                    uint32_t a[32][4], b[32][2];
                    for (uint32_t lane = 0; lane < 32; ++lane) {
                        const uint32_t top = r0 + lane / 4, bottom = top + 8, v = v0 + lane / 4;
                        const uint32_t * word = (const uint32_t *)layout + 4 * ((uint64_t)u + (uint64_t)words * top);
                        const uint32_t * lower = (const uint32_t *)layout + 4 * ((uint64_t)u + (uint64_t)words * bottom);
                        i2_a_fragment(top < rows ? word : zero_word, bottom < rows ? lower : zero_word, h, lane, a[lane]);
                        i2_b_fragment(v < batch ? (const uint32_t *)(x + (uint64_t)v * stride + 64 * u) : zero_x, h, lane, b[lane]);
                    }
                    emulate_mma(a, b, acc);
                }
            }
            for (uint32_t lane = 0; lane < 32; ++lane) {
                for (int e = 0; e < 4; ++e) {
                    const uint32_t row = r0 + mma_c_row(lane, e), v = v0 + mma_c_col(lane, e);
                    if (row < rows && v < batch) y[(uint64_t)v * rows + row] = acc[lane][e] - sums[v];
                }
            }
        }
    }
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

// ---- bit-planes -----------------------------------------------------------------------------------------

struct integer_case {
    uint32_t rows, cols, bits, group;
    bool zeros, perm;
};

// The CPU kernels' definition: each group's exact sum of (u - z) x, times its scale, in group order.
static float planes_reference(const rsr_cuda_integer & w, uint32_t cols, uint32_t n_groups, uint32_t group, uint32_t r,
                              const int8_t * x) {
    float y = 0.0f;
    for (uint32_t g = 0; g < n_groups; ++g) {
        const int z = w.zeros ? w.zeros[(uint64_t)r * n_groups + g] : 1 << (w.bits - 1);
        int sum = 0;
        for (uint32_t c = g * group; c < cols && c < (g + 1) * group; ++c) {
            sum += ((int)w.codes[(uint64_t)r * cols + c] - z) * x[w.perm ? w.perm[c] : c];
        }
        y = fmaf(w.scales[(uint64_t)r * n_groups + g], (float)sum, y);
    }
    return y;
}

template <int BITS>
static void lookup_q(const uint8_t * codes, uint32_t rows, uint32_t cols, uint32_t group, uint32_t n_groups, const int8_t * x,
                     int32_t * q) {
    static int table[PLANES_CHUNK_TABLES][PLANES_PATTERNS];
    memset(q, 0, (size_t)rows * n_groups * sizeof *q);
    for (uint32_t chunk = 0; chunk < planes_chunks(cols); ++chunk) {
        const uint32_t first = chunk * PLANES_CHUNK_COLS;
        const uint32_t count = std::min(PLANES_CHUNK_TABLES, div_up(cols - first, PLANES_TABLE_COLS));
        for (uint32_t t = 0; t < PLANES_CHUNK_TABLES; ++t) {
            const uint32_t c = t * PLANES_TABLE_COLS, valid = first + c < cols ? std::min(PLANES_TABLE_COLS, cols - first - c) : 0;
            for (uint32_t p = 0; p < PLANES_PATTERNS; ++p) table[t][p] = planes_table_entry(p, x + first + c, valid);
        }
        for (uint32_t row = 0; row < rows; ++row) {
            planes_row_chunk<BITS>(codes + ((uint64_t)chunk * rows + row) * planes_row_bytes(BITS), first, count, group, table,
                                   planes_q_sink{ q + (uint64_t)row * n_groups });
        }
    }
}

template <int BITS>
static void mma_q(const uint8_t * codes, uint32_t rows, uint32_t cols, uint32_t group, uint32_t n_groups, const int8_t * x,
                  uint32_t stride, uint32_t batch, const int32_t * x_sums, int32_t * q) {
    const int max = (1 << BITS) - 1;
    for (uint32_t r0 = 0; r0 < rows; r0 += 16) {
        for (uint32_t v0 = 0; v0 < batch; v0 += 8) {
            for (uint32_t g = 0; g < n_groups; ++g) {
                const uint32_t s0 = g * group / PLANES_TABLE_COLS, t_end = div_up(std::min(cols, (g + 1) * group), PLANES_TABLE_COLS);
                int32_t acc[32][4] = {};
                for (uint32_t s = s0; s < t_end; s += 4) {
                    uint32_t a[32][4], b[32][2];
                    for (uint32_t lane = 0; lane < 32; ++lane) {
                        planes_a_fragment<BITS>(codes, rows, r0, s, t_end, lane, a[lane]);
                        planes_b_fragment(x, stride, batch, v0, s, t_end, lane, b[lane]);
                    }
                    emulate_mma(a, b, acc);
                }
                for (uint32_t lane = 0; lane < 32; ++lane) {
                    for (int e = 0; e < 4; ++e) {
                        const uint32_t row = r0 + mma_c_row(lane, e), v = v0 + mma_c_col(lane, e);
                        if (row < rows && v < batch) {
                            q[((uint64_t)v * rows + row) * n_groups + g] = 2 * acc[lane][e] - max * x_sums[(uint64_t)v * n_groups + g];
                        }
                    }
                }
            }
        }
    }
}

template <int BITS>
static void planes_q(bool mma, const uint8_t * codes, uint32_t rows, uint32_t cols, uint32_t group, uint32_t n_groups,
                     const int8_t * x, uint32_t stride, uint32_t batch, const int32_t * x_sums, int32_t * q) {
    if (mma) {
        mma_q<BITS>(codes, rows, cols, group, n_groups, x, stride, batch, x_sums, q);
    } else {
        for (uint32_t v = 0; v < batch; ++v) lookup_q<BITS>(codes, rows, cols, group, n_groups, x + (uint64_t)v * stride, q + (uint64_t)v * rows * n_groups);
    }
}

// Both kernels' arithmetic on one random case; returns the number of wrong outputs (0 or 1 per kernel).
static int check_integer_case(const integer_case & k) {
    const uint32_t batch = 11, group = k.group < k.cols ? k.group : k.cols, n_groups = div_up(k.cols, group);
    const uint32_t stride = quantized_stride(k.cols);
    std::vector<uint8_t> codes((size_t)k.rows * k.cols), zeros(k.zeros ? (size_t)k.rows * n_groups : 0);
    std::vector<float> scales((size_t)k.rows * n_groups);
    std::vector<uint32_t> perm(k.perm ? k.cols : 0);
    for (uint8_t & u : codes) u = (uint8_t)(next_random() >> (32 - k.bits));
    for (size_t i = 0; i < codes.size(); i += 7) codes[i] = (uint8_t)((1u << k.bits) - 1); // the extreme codes too
    for (uint8_t & z : zeros) z = (uint8_t)(next_random() >> (32 - k.bits));
    for (float & s : scales) s = (float)(next_random() % 20001) * 1e-6f - 0.01f;
    for (uint32_t c = 0; c < perm.size(); ++c) perm[c] = c;
    for (uint32_t c = (uint32_t)perm.size(); c > 1; --c) std::swap(perm[c - 1], perm[next_random() % c]);
    const rsr_cuda_integer w = { codes.data(), k.bits, k.group, scales.data(), k.zeros ? zeros.data() : nullptr,
                                 k.perm ? perm.data() : nullptr };

    std::vector<int8_t> x((size_t)batch * k.cols), stored((size_t)batch * stride, 0);
    for (int8_t & v : x) v = (int8_t)next_random();
    x[0] = -128;
    std::vector<int32_t> x_sums((size_t)batch * n_groups, 0);
    for (uint32_t v = 0; v < batch; ++v) {
        for (uint32_t c = 0; c < k.cols; ++c) {
            stored[(uint64_t)v * stride + c] = x[(uint64_t)v * k.cols + (k.perm ? perm[c] : c)];
            x_sums[(uint64_t)v * n_groups + c / group] += stored[(uint64_t)v * stride + c];
        }
    }

    std::vector<uint8_t> layout(planes_codes_bytes(k.rows, k.cols, k.bits));
    if (planes_codes_build(&w, k.rows, k.cols, layout.data()) != RSR_CUDA_OK) {
        printf("FAIL %u-bit %ux%u group %u: building the codes: %s\n", k.bits, k.rows, k.cols, k.group, rsr_cuda_last_error());
        return 1;
    }
    int failures = 0;
    for (bool mma : { false, true }) {
        std::vector<int32_t> q((size_t)batch * k.rows * n_groups);
        switch (k.bits) {
#define CASE(n) case n: planes_q<n>(mma, layout.data(), k.rows, k.cols, group, n_groups, stored.data(), stride, batch, x_sums.data(), q.data()); break;
        CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8)
#undef CASE
        }
        for (uint32_t v = 0; v < batch && !failures; ++v) {
            for (uint32_t r = 0; r < k.rows; ++r) {
                const float got = planes_fold(q.data() + ((uint64_t)v * k.rows + r) * n_groups, x_sums.data() + (uint64_t)v * n_groups,
                                              scales.data() + (uint64_t)r * n_groups,
                                              k.zeros ? zeros.data() + (uint64_t)r * n_groups : nullptr, k.bits, n_groups);
                const float expected = planes_reference(w, k.cols, n_groups, group, r, x.data() + (uint64_t)v * k.cols);
                if (memcmp(&got, &expected, sizeof got) != 0) {
                    printf("FAIL %s %u-bit %ux%u group %u%s%s: vector %u row %u is %.9g, expected %.9g\n", mma ? "mma" : "lookup", k.bits,
                           k.rows, k.cols, k.group, k.zeros ? " zero points" : "", k.perm ? " permuted" : "", v, r, got, expected);
                    ++failures;
                    break;
                }
            }
        }
    }
    return failures;
}

// Integer weights the layout must refuse, each with a message naming what is wrong.
static int check_integer_refusals(void) {
    int failures = 0;
    uint8_t codes[16] = { 0 }, zeros[2] = { 0 }, out[4096];
    float scales[2] = { 1, 1 };
    uint32_t perm[16];
    for (uint32_t c = 0; c < 16; ++c) perm[c] = c;
    struct refusal { rsr_cuda_integer w; uint32_t cols; const char * says; };
    codes[5] = 16;
    const refusal cases[] = {
        { { codes, 4, 8, scales, nullptr, nullptr }, 16, "(0, 5) is 16" },
        { { codes, 9, 8, scales, nullptr, nullptr }, 16, "9 bits" },
        { { codes, 8, 12, scales, nullptr, nullptr }, 16, "groups of 12" },
    };
    for (const refusal & c : cases) {
        if (planes_codes_build(&c.w, 1, c.cols, out) != RSR_CUDA_ERR_ARGUMENT || !strstr(rsr_cuda_last_error(), c.says)) {
            printf("FAIL: integer weights with %s were not refused clearly (%s)\n", c.says, rsr_cuda_last_error());
            ++failures;
        }
    }
    codes[5] = 0;
    zeros[1] = 200;
    const rsr_cuda_integer bad_zero = { codes, 4, 8, scales, zeros, nullptr };
    if (planes_check(&bad_zero, 1, 16) != RSR_CUDA_ERR_ARGUMENT || !strstr(rsr_cuda_last_error(), "zero point 1 is 200")) {
        printf("FAIL: a zero point of 200 for 4-bit codes was not refused clearly (%s)\n", rsr_cuda_last_error());
        ++failures;
    }
    perm[3] = 2;
    const rsr_cuda_integer bad_perm = { codes, 4, 8, scales, nullptr, perm };
    if (planes_check(&bad_perm, 1, 16) != RSR_CUDA_ERR_ARGUMENT || !strstr(rsr_cuda_last_error(), "not a permutation")) {
        printf("FAIL: a repeated column was not refused clearly (%s)\n", rsr_cuda_last_error());
        ++failures;
    }
    return failures;
}

// The Tensor Core kernel's arithmetic on a batch of random vectors (the extremes among them) against the
// exact W x; returns 1 when an output differs.
static int check_i2_mma(const uint8_t * layout, const int8_t * w, uint32_t rows, uint32_t cols) {
    const uint32_t batch = 11, stride = quantized_stride(cols);
    std::vector<int8_t> x((size_t)batch * stride, 0);
    std::vector<int32_t> sums(batch, 0), got((size_t)batch * rows), expected((size_t)batch * rows, 0);
    for (uint32_t v = 0; v < batch; ++v) {
        for (uint32_t c = 0; c < cols; ++c) {
            int8_t & value = x[(size_t)v * stride + c];
            value = v == 1 ? -128 : v == 2 ? 127 : (int8_t)next_random();
            sums[v] += value;
            for (uint32_t r = 0; r < rows; ++r) expected[(size_t)v * rows + r] += w[(size_t)r * cols + c] * value;
        }
    }
    i2_mma_rows(layout, rows, cols, x.data(), stride, batch, sums.data(), got.data());
    for (size_t i = 0; i < got.size(); ++i) {
        if (got[i] != expected[i]) {
            printf("FAIL packed-i2 mma %ux%u: vector %zu row %zu is %d, expected %d\n", rows, cols, i / rows, i % rows, got[i], expected[i]);
            return 1;
        }
    }
    return 0;
}

// The Q6_256 head's lanes on random blocks against the format's definition value by value (q6_code, which
// the embedding lookup reads): the block's exact sum of s[j / 16] (q[j] - 32) x[j]; returns the number of
// wrong blocks.
static int check_q6_lanes(void) {
    int failures = 0;
    for (int trial = 0; trial < 200; ++trial) {
        uint8_t block[Q6_BLOCK_BYTES];
        alignas(4) int8_t x[Q6_BLOCK];
        for (uint8_t & b : block) b = (uint8_t)next_random();
        for (int8_t & v : x) v = trial == 0 ? -128 : trial == 1 ? 127 : (int8_t)next_random();
        int expected = 0, got = 0;
        for (uint32_t j = 0; j < Q6_BLOCK; ++j) expected += (int8_t)block[2 + j / 16] * (q6_code(block, j) - 32) * x[j];
        for (uint32_t lane = 0; lane < 32; ++lane) got += q6_lane_dot(block, x, lane);
        if (got != expected) {
            if (!failures) printf("FAIL Q6_256 head: block %d sums to %d, expected %d\n", trial, got, expected);
            ++failures;
        }
    }
    return failures;
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
                ++cases;
                failures += check_i2_mma(layout.data(), w.data(), rows, cols);
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
    printf("host-check: %d of %d ternary layout cases exact\n", cases - (failures > cases ? cases : failures), cases);

    // every bit width; groups that straddle chunks, end mid-slice, or cover the row; odd shapes
    const integer_case integer_cases[] = {
        { 1, 1, 1, 8, false, false },     { 3, 7, 2, 8, true, false },      { 17, 40, 3, 8, false, true },
        { 33, 100, 4, 32, true, false },  { 16, 264, 5, 40, false, false }, { 50, 300, 6, 128, true, true },
        { 65, 777, 7, 777, false, false },{ 20, 1000, 8, 64, true, false }, { 40, 513, 4, 128, false, true },
        { 24, 4096, 2, 128, false, false },{ 9, 520, 3, 4096, true, true },  { 31, 96, 8, 24, false, false },
    };
    int integer_failures = 0;
    for (const integer_case & k : integer_cases) integer_failures += check_integer_case(k);
    integer_failures += check_integer_refusals();
    const int integer_count = (int)(sizeof integer_cases / sizeof integer_cases[0]);
    printf("host-check: %d integer cases of both bit-plane kernels%s\n", integer_count,
           integer_failures ? " FAILED" : " exact, bit for bit");
    const int q6_failures = check_q6_lanes();
    printf("host-check: Q6_256 head lanes %s on 200 random blocks\n", q6_failures ? "FAILED" : "exact");
    return failures || integer_failures || q6_failures ? 1 : 0;
}
