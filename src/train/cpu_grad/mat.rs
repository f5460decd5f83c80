//! Matrices as views into f32 slices (offset, shape, strides) and the one product the pass needs:
//! `dst = keep·dst + scale·(a·b)`, through the `gemm` crate. Transposes are views, never copies.

use candle_core::Result;
use gemm::Parallelism;

/// A matrix inside a slice: element (i, j) at `off + i·rs + j·cs`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    pub off: usize,
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl View {
    /// A dense row-major (rows × cols) matrix at offset 0.
    pub fn dense(rows: usize, cols: usize) -> View {
        View { off: 0, rows, cols, rs: cols, cs: 1 }
    }

    /// Rows `rows` × cols `cols` starting at `off`, rows `rs` apart, columns adjacent.
    pub fn block(off: usize, rows: usize, cols: usize, rs: usize) -> View {
        View { off, rows, cols, rs, cs: 1 }
    }

    /// Rows `start..start + count` of this matrix.
    pub fn rows(self, start: usize, count: usize) -> View {
        View { off: self.off + start * self.rs, rows: count, ..self }
    }

    pub fn t(self) -> View {
        View { rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs, ..self }
    }

    /// One past the last element it reaches (its offset when empty).
    fn end(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            return self.off;
        }
        self.off + (self.rows - 1) * self.rs + (self.cols - 1) * self.cs + 1
    }
}

fn check(what: &str, v: &View, len: usize) -> Result<()> {
    if v.end() > len {
        candle_core::bail!("cpu_grad: {what} view {v:?} reaches past its {len} elements");
    }
    Ok(())
}

/// `threads` > 1 splits one large product across rayon's pool.
pub(crate) fn par(threads: usize) -> Parallelism {
    if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    }
}

/// `dst = keep·dst + scale·(a·b)` with `keep` 0 (overwrite) or 1 (`accumulate`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul(dst: &mut [f32], d: View, a: &[f32], av: View, b: &[f32], bv: View, accumulate: bool, scale: f32, par: Parallelism) -> Result<()> {
    check("output", &d, dst.len())?;
    // SAFETY: the output view lies within `dst`, which is borrowed mutably for the call.
    unsafe { matmul_raw(dst.as_mut_ptr(), d, a, av, b, bv, accumulate, scale, par) }
}

/// An output buffer that several threads write at once, each into its own disjoint block.
#[derive(Clone, Copy)]
pub(crate) struct Shared {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: only handed to `matmul_into` (and row writers) whose callers guarantee disjoint blocks.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    pub fn new(buf: &mut [f32]) -> Shared {
        Shared { ptr: buf.as_mut_ptr(), len: buf.len() }
    }

    /// As [`matmul`], into this buffer.
    ///
    /// # Safety
    /// No other thread may read or write the elements of `d` during the call, and the buffer must
    /// outlive it.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn matmul_into(self, d: View, a: &[f32], av: View, b: &[f32], bv: View, accumulate: bool, scale: f32) -> Result<()> {
        check("output", &d, self.len)?;
        matmul_raw(self.ptr, d, a, av, b, bv, accumulate, scale, Parallelism::None)
    }

    /// Mutable access to `range` of the buffer.
    ///
    /// # Safety
    /// As [`Shared::matmul_into`]: the range is this caller's alone for the borrow's lifetime.
    pub unsafe fn slice_mut<'a>(self, start: usize, len: usize) -> Result<&'a mut [f32]> {
        if start + len > self.len {
            candle_core::bail!("cpu_grad: slice {start}+{len} past {} elements", self.len);
        }
        Ok(std::slice::from_raw_parts_mut(self.ptr.add(start), len))
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn matmul_raw(dst: *mut f32, d: View, a: &[f32], av: View, b: &[f32], bv: View, accumulate: bool, scale: f32, par: Parallelism) -> Result<()> {
    if av.rows != d.rows || bv.cols != d.cols || av.cols != bv.rows {
        candle_core::bail!("cpu_grad: ({}×{})·({}×{}) into ({}×{})", av.rows, av.cols, bv.rows, bv.cols, d.rows, d.cols);
    }
    check("left operand", &av, a.len())?;
    check("right operand", &bv, b.len())?;
    if d.rows == 0 || d.cols == 0 {
        return Ok(());
    }
    if av.cols == 0 {
        if !accumulate {
            for i in 0..d.rows {
                for j in 0..d.cols {
                    *dst.add(d.off + i * d.rs + j * d.cs) = 0.0;
                }
            }
        }
        return Ok(());
    }
    // gemm: dst = alpha·dst + beta·(lhs·rhs), strides as (column, row); alpha is read only with
    // read_dst.
    gemm::gemm(
        d.rows,
        d.cols,
        av.cols,
        dst.add(d.off),
        d.cs as isize,
        d.rs as isize,
        accumulate,
        a.as_ptr().add(av.off),
        av.cs as isize,
        av.rs as isize,
        b.as_ptr().add(bv.off),
        bv.cs as isize,
        bv.rs as isize,
        1.0,
        scale,
        false,
        false,
        false,
        par,
    );
    Ok(())
}

/// `x (n × i) · wᵀ` for `w` (o × i).
pub(crate) fn linear(x: &[f32], n: usize, i: usize, w: &[f32], o: usize, threads: usize) -> Result<Vec<f32>> {
    let mut y = vec![0f32; n * o];
    matmul(&mut y, View::dense(n, o), x, View::dense(n, i), w, View::dense(o, i).t(), false, 1.0, par(threads))?;
    Ok(y)
}

/// Backward of [`linear`]: returns dW (o × i) and adds dy·W into `dx` (n × i), or sets it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn linear_back(
    dy: &[f32],
    x: &[f32],
    n: usize,
    i: usize,
    w: &[f32],
    o: usize,
    dx: &mut [f32],
    accumulate: bool,
    threads: usize,
) -> Result<Vec<f32>> {
    let mut dw = vec![0f32; o * i];
    matmul(&mut dw, View::dense(o, i), dy, View::dense(n, o).t(), x, View::dense(n, i), false, 1.0, par(threads))?;
    matmul(dx, View::dense(n, i), dy, View::dense(n, o), w, View::dense(o, i), accumulate, 1.0, par(threads))?;
    Ok(dw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], av: View, b: &[f32], bv: View) -> Vec<f32> {
        let mut out = vec![0f32; av.rows * bv.cols];
        for i in 0..av.rows {
            for j in 0..bv.cols {
                out[i * bv.cols + j] = (0..av.cols).map(|k| a[av.off + i * av.rs + k * av.cs] * b[bv.off + k * bv.rs + j * bv.cs]).sum();
            }
        }
        out
    }

    #[test]
    fn products_of_views_match_the_definition_and_out_of_range_views_are_refused() {
        let a: Vec<f32> = (0..40).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..40).map(|i| (i as f32 * 0.11).cos()).collect();
        // A 3×4 block inside a 5×8 matrix, times the transpose of a 5×4 dense matrix's first rows.
        let av = View::block(9, 3, 4, 8);
        let bv = View { off: 2, ..View::dense(5, 4) }.t().t();
        let bv = View { rows: 4, cols: 5, rs: 1, cs: 4, off: bv.off };
        let want = naive(&a, av, &b, bv);
        let mut got = vec![1f32; 15];
        matmul(&mut got, View::dense(3, 5), &a, av, &b, bv, false, 1.0, Parallelism::None).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
        // Accumulate with a scale: previous + 0.5·product.
        matmul(&mut got, View::dense(3, 5), &a, av, &b, bv, true, 0.5, Parallelism::None).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - 1.5 * w).abs() < 1e-5);
        }
        let far = View::block(30, 3, 4, 8);
        assert!(matmul(&mut got, View::dense(3, 5), &a, far, &b, bv, false, 1.0, Parallelism::None).is_err());
        assert!(matmul(&mut got, View::dense(3, 4), &a, av, &b, bv, false, 1.0, Parallelism::None).is_err());
    }
}
