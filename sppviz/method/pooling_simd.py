"""A SIMD block transpose for the numba pooling kernels (``pooling_kernels``): the kernels compute a window's
bins channels-last, [bins, C] (each bin's maximum is a contiguous max over the channels), and the release
layout wants them channel-major, ``offset + c*n*n + b``. Written element by element that transpose is
12,800 scalar loads and stores per window, which took longer than the pooling itself (on 2,000 windows
9-17 ms against 5.5 ms for a sequential write of the same 102 MB, one thread). numba has no shuffles of its
own, so :func:`block_transpose` is an LLVM intrinsic: R rows of 8 contiguous elements are loaded as
vectors, permuted with ``shufflevector`` (LLVM lowers it to the machine's shuffles: AVX-512 / AVX2 on
x86-64, SSE2 or NEON elsewhere; the result is the same everywhere) and stored as 8 rows of R elements.

Imported with ``pooling_kernels`` (it needs numba and llvmlite, which comes with numba).
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

LANES = 8  # channels per block


def block_transpose(rows: int):
    """An intrinsic ``f(src, s0, ss, dst, d0, ds)`` for 1-D contiguous arrays of one float dtype (float32 or
    float64), ``rows`` a power of two:
    ``dst[d0 + c*ds + r] = src[s0 + r*ss + c]`` for r < ``rows``, c < LANES (offsets and strides in
    elements, no bounds checks: the caller keeps both blocks inside their arrays)."""
    if rows < 1 or rows & (rows - 1):
        raise ValueError(f"rows must be a power of two, got {rows}")

    @intrinsic
    def transpose(typingctx, src, s0, ss, dst, d0, ds):
        if not (isinstance(src, types.Array) and isinstance(dst, types.Array) and src.dtype == dst.dtype
                and src.dtype in (types.float32, types.float64) and src.ndim == dst.ndim == 1
                and src.layout == dst.layout == "C"):
            return None
        sig = types.void(src, s0, ss, dst, d0, ds)

        def codegen(context, builder, signature, args):
            a_src = context.make_array(signature.args[0])(context, builder, args[0])
            a_dst = context.make_array(signature.args[3])(context, builder, args[3])
            elem = context.get_data_type(signature.args[0].dtype)
            i64 = ir.IntType(64)
            s0_, ss_, d0_, ds_ = (context.cast(builder, args[i], signature.args[i], types.int64) for i in (1, 2, 4, 5))
            row_t, col_t = ir.VectorType(elem, LANES), ir.VectorType(elem, rows)
            align = signature.args[0].dtype.bitwidth // 8  # unaligned: only the element's own alignment
            loaded = []
            for r in range(rows):
                at = builder.add(s0_, builder.mul(ss_, ir.Constant(i64, r)))
                ptr = builder.bitcast(builder.gep(a_src.data, [at]), row_t.as_pointer())
                loaded.append(builder.load(ptr, align=align))
            columns = _columns_8x8(builder, loaded) if rows == 8 else _columns(builder, loaded)
            for c, col in enumerate(columns):
                at = builder.add(d0_, builder.mul(ds_, ir.Constant(i64, c)))
                builder.store(col, builder.bitcast(builder.gep(a_dst.data, [at]), col_t.as_pointer()), align=align)
            return context.get_dummy_value()

        return sig, codegen

    return transpose


def _shuffle(builder, a, b, mask):
    return builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(ir.IntType(32), len(mask)), mask))


def _columns(builder, rows):
    """The LANES columns of ``rows`` (vectors of LANES elements) as vectors of len(rows) elements: the rows
    concatenated into one vector, each column a strided shuffle of it (LLVM picks the instructions)."""
    while len(rows) > 1:  # concatenate the rows into one vector: element r*LANES + c
        pairs = zip(rows[::2], rows[1::2], strict=True)
        rows = [_shuffle(builder, a, b, list(range(a.type.count + b.type.count))) for a, b in pairs]
    whole = rows[0]
    n = whole.type.count // LANES
    undef = ir.Constant(whole.type, ir.Undefined)
    return [_shuffle(builder, whole, undef, [r * LANES + c for r in range(n)]) for c in range(LANES)]


def _columns_8x8(builder, rows):
    """The 8 columns of 8 rows of 8 elements, through the classic three rounds of two-input shuffles (x86:
    ``unpcklps``/``unpckhps``, ``shufps``, ``vperm2f128``; 24 shuffles): half the time of ``_columns``'s
    shuffles of one 64-element vector (10 against 20 ns per 8 x 8 block, float32), the same result."""
    lo, hi = [0, 8, 1, 9, 4, 12, 5, 13], [2, 10, 3, 11, 6, 14, 7, 15]  # interleave pairs of rows, per 4 lanes
    t = []
    for r in range(0, 8, 2):
        t += [_shuffle(builder, rows[r], rows[r + 1], lo), _shuffle(builder, rows[r], rows[r + 1], hi)]
    first, second = [0, 1, 8, 9, 4, 5, 12, 13], [2, 3, 10, 11, 6, 7, 14, 15]
    u = []  # u[g + q]: columns q and q + 4 of rows g .. g + 3 (lanes 0-3 and 4-7)
    for g in (0, 4):
        for a, b in ((t[g], t[g + 2]), (t[g + 1], t[g + 3])):
            u += [_shuffle(builder, a, b, first), _shuffle(builder, a, b, second)]
    low, high = [0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]
    return ([_shuffle(builder, u[q], u[4 + q], low) for q in range(4)]
            + [_shuffle(builder, u[q], u[4 + q], high) for q in range(4)])


transpose_8 = block_transpose(8)  # 8 bins x 8 channels
transpose_4 = block_transpose(4)  # 4 bins x 8 channels


@intrinsic
def stream_64(typingctx, src, s0, dst, d0):
    """``dst[d0 : d0 + 64 bytes] = src[s0 : s0 + 64 bytes]`` for 1-D contiguous arrays of one float dtype, with
    a non-temporal store (``movntps`` on x86: the line goes to memory without being read first, where a plain
    store reads it for ownership; elsewhere LLVM makes it a plain store). ``dst``'s address at ``d0`` must be a
    multiple of 64 bytes (``stream_row`` sees to it)."""
    if not (isinstance(src, types.Array) and isinstance(dst, types.Array) and src.dtype == dst.dtype
            and src.dtype in (types.float32, types.float64) and src.ndim == dst.ndim == 1
            and src.layout == dst.layout == "C"):
        return None
    sig = types.void(src, s0, dst, d0)

    def codegen(context, builder, signature, args):
        a_src = context.make_array(signature.args[0])(context, builder, args[0])
        a_dst = context.make_array(signature.args[2])(context, builder, args[2])
        elem = context.get_data_type(signature.args[0].dtype)
        size = signature.args[0].dtype.bitwidth // 8
        vec = ir.VectorType(elem, 64 // size)
        s0_, d0_ = (context.cast(builder, args[i], signature.args[i], types.int64) for i in (1, 3))
        value = builder.load(builder.bitcast(builder.gep(a_src.data, [s0_]), vec.as_pointer()), align=size)
        store = builder.store(value, builder.bitcast(builder.gep(a_dst.data, [d0_]), vec.as_pointer()), align=64)
        store.set_metadata("nontemporal", builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)]))
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def store_fence(typingctx):
    """A full memory fence (``mfence`` on x86), after :func:`stream_64`'s non-temporal stores: they are weakly
    ordered, and the row must be in memory before another thread reads it."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return sig, codegen


# ------------------------------------------------------------------------------------------------
# a channel tile as one vector: the sparse-table kernel works on TILE channels at a time

TILE = 16  # channels per tile: 64 bytes of float32, one cache line (two of float64)


def _tile_arrays(*arrays) -> bool:
    """1-D contiguous arrays of one float dtype (float32 or float64)."""
    first = arrays[0]
    return first.dtype in (types.float32, types.float64) and all(
        isinstance(a, types.Array) and a.dtype == first.dtype and a.ndim == 1 and a.layout == "C" for a in arrays)


def _tile_codegen(loads: int, combine):
    """codegen of an intrinsic ``f(src, s_1 .. s_loads, dst, d)``: ``loads`` vectors of TILE elements loaded from
    ``src`` at the offsets s_i (in elements), combined by ``combine(builder, vectors, at_dst)`` (``at_dst`` loads
    the destination's vector), the result stored at ``dst[d : d + TILE]``. No bounds checks: the caller keeps
    every tile inside its array. Loads and stores are unaligned (only the element's own alignment)."""

    def codegen(context, builder, signature, args):
        elem = context.get_data_type(signature.args[0].dtype)
        vec, align = ir.VectorType(elem, TILE), signature.args[0].dtype.bitwidth // 8

        def pointer(array_at, offset_at):
            array = context.make_array(signature.args[array_at])(context, builder, args[array_at])
            offset = context.cast(builder, args[offset_at], signature.args[offset_at], types.int64)
            return builder.bitcast(builder.gep(array.data, [offset]), vec.as_pointer())

        vectors = [builder.load(pointer(0, 1 + i), align=align) for i in range(loads)]
        dst = pointer(loads + 1, loads + 2)
        builder.store(combine(builder, vectors, lambda: builder.load(dst, align=align)), dst, align=align)
        return context.get_dummy_value()

    return codegen


def _gt(builder, a, b):
    """``a if a > b else b`` per lane: the kernels' maximum (x86 ``maxps``; NaN and ties as the scalar code)."""
    return builder.select(builder.fcmp_ordered(">", a, b), a, b)


@intrinsic
def copy_tile(typingctx, src, s, dst, d):
    """``dst[d : d + TILE] = src[s : s + TILE]``."""
    if not _tile_arrays(src, dst):
        return None
    return types.void(src, s, dst, d), _tile_codegen(1, lambda b, v, at_dst: v[0])


@intrinsic
def max_into_tile(typingctx, src, s, dst, d):
    """``dst[d + l] = src[s + l] if src[s + l] > dst[d + l] else dst[d + l]`` for l < TILE."""
    if not _tile_arrays(src, dst):
        return None
    return types.void(src, s, dst, d), _tile_codegen(1, lambda b, v, at_dst: _gt(b, v[0], at_dst()))


@intrinsic
def max2_tile(typingctx, src, a, b, dst, d):
    """``dst[d + l] = max(src[a + l], src[b + l])`` (``x if x > y else y``) for l < TILE."""
    if not _tile_arrays(src, dst):
        return None
    return types.void(src, a, b, dst, d), _tile_codegen(2, lambda bld, v, at_dst: _gt(bld, v[0], v[1]))


@intrinsic
def max4_tile(typingctx, src, a, b, c, e, dst, d):
    """``dst[d + l] = max(max(A, B), max(C, E))`` of the tiles of ``src`` at a, b, c, e (each max ``x if x > y
    else y``), for l < TILE: one bin of the sparse-table kernel, the max of its 4 blocks."""
    if not _tile_arrays(src, dst):
        return None
    return types.void(src, a, b, c, e, dst, d), _tile_codegen(
        4, lambda bld, v, at_dst: _gt(bld, _gt(bld, v[0], v[1]), _gt(bld, v[2], v[3])))


def _fold(builder, vectors, start):
    """``v = start; v = x if x > v else v`` for each x of ``vectors`` in order: the scalar kernel's running max."""
    for x in vectors:
        start = _gt(builder, x, start)
    return start


@intrinsic
def fold4_tile(typingctx, src, a, b, c, e, dst, d):
    """``dst[d : d + TILE]`` = the running max of the tiles of ``src`` at a, b, c, e in that order (v = A, then
    ``v = x if x > v else v`` for x = B, C, E): what ``copy_tile`` of A then ``max_into_tile`` of B, C and E
    leave in dst, in one load of each tile and one store (the kernel's derived levels)."""
    if not _tile_arrays(src, dst):
        return None
    return types.void(src, a, b, c, e, dst, d), _tile_codegen(
        4, lambda bld, v, at_dst: _fold(bld, v[1:], v[0]))


@intrinsic
def fold_into4_tile(typingctx, src, a, b, c, e, dst, d):
    """The running max continued: ``v = dst[d : d + TILE]``, then ``v = x if x > v else v`` for the tiles x of
    ``src`` at a, b, c, e in that order, stored back: ``max_into_tile`` of A, B, C and E in one store."""
    if not _tile_arrays(src, dst):
        return None
    return types.void(src, a, b, c, e, dst, d), _tile_codegen(
        4, lambda bld, v, at_dst: _fold(bld, v, at_dst()))
