//! Segmentation: a 3×3 median filter, then region growing between neighbours of similar colour.
//! The background is the region holding most of the border; what remains, above a minimum size,
//! is a blob. Limits, stated honestly: objects smaller than [`MIN_AREA`] visible pixels or thinner
//! than [`MIN_SIDE`] are not found, and touching objects of one colour come out as one blob.

use crate::palette::dist2;
use crate::{go_on, tick, Img, Progress, Rect, Stopped};
use alloc::vec;
use alloc::vec::Vec;

/// Smallest blob, in pixels.
pub const MIN_AREA: u32 = 40;
/// Smallest blob side, in pixels (drops thin clutter lines).
pub const MIN_SIDE: u32 = 5;
/// Largest squared colour step between neighbouring (filtered) pixels of one region.
pub const STEP: u32 = 2600;

/// One connected region of similar colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Blob {
    pub rect: Rect,
    /// Pixels in the region.
    pub area: u32,
    /// Mean colour of its (unfiltered) pixels.
    pub color: [u8; 3],
    /// Filled share of the box when each row is filled between its leftmost and rightmost pixel:
    /// ≈1 for squares, ≈0.79 for circles, ≈0.5 for triangles; holes (printed text) do not count.
    pub span_fill: f32,
}

/// Median of each channel over the 3×3 neighbourhood (edges of `roi`, clipped to the image, repeated).
pub fn median3(img: &Img, roi: Rect) -> Vec<[u8; 3]> {
    median3_with(img, roi, &mut go_on).unwrap_or_default()
}

/// [`median3`], reporting each row's pixels to `p` (four passes) and stopping when it says so.
pub fn median3_with(img: &Img, roi: Rect, p: &mut Progress) -> Result<Vec<[u8; 3]>, Stopped> {
    let Some(roi) = roi.clip(img) else { return Ok(Vec::new()) };
    let (w, h) = (roi.w() as usize, roi.h() as usize);
    let pw = w + 2;
    let mut planes = [vec![0u8; pw * (h + 2)], vec![0u8; pw * (h + 2)], vec![0u8; pw * (h + 2)]];
    for py in 0..h + 2 {
        tick(p, pw as u64)?;
        let sy = roi.y0 + py.saturating_sub(1).min(h - 1) as u32;
        for px in 0..pw {
            let sx = roi.x0 + px.saturating_sub(1).min(w - 1) as u32;
            let p = img.px(sx, sy);
            for c in 0..3 {
                planes[c][py * pw + px] = p[c];
            }
        }
    }
    // Row at a time: nine shifted copies of the neighbourhood rows, sorted element-wise by the
    // exchange network, so the inner loops are plain min/max over byte slices (they vectorise).
    let mut out = vec![[0u8; 3]; w * h];
    let mut rows: Vec<Vec<u8>> = (0..9).map(|_| vec![0u8; w]).collect();
    for (c, plane) in planes.iter().enumerate() {
        for y in 0..h {
            tick(p, w as u64)?;
            for (k, row) in rows.iter_mut().enumerate() {
                let start = (y + k / 3) * pw + k % 3;
                row.copy_from_slice(&plane[start..start + w]);
            }
            for (a, b) in NET {
                let (ra, rb) = pair(&mut rows, a, b);
                for (p, q) in ra.iter_mut().zip(rb.iter_mut()) {
                    let (lo, hi) = ((*p).min(*q), (*p).max(*q));
                    *p = lo;
                    *q = hi;
                }
            }
            for (x, m) in rows[4].iter().enumerate() {
                out[y * w + x][c] = *m;
            }
        }
    }
    Ok(out)
}

/// Two distinct rows, mutably.
fn pair(rows: &mut [Vec<u8>], a: usize, b: usize) -> (&mut Vec<u8>, &mut Vec<u8>) {
    if a < b {
        let (l, r) = rows.split_at_mut(b);
        (&mut l[a], &mut r[0])
    } else {
        let (l, r) = rows.split_at_mut(a);
        (&mut r[0], &mut l[b])
    }
}

/// The classic 19-exchange median-of-nine network: after it, element 4 is the median.
const NET: [(usize, usize); 19] = [(1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3), (5, 8), (4, 7),
    (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2)];

/// Label regions of `roi` (clipped to the image); returns one label per pixel (row-major over `roi`) and the count.
pub fn label(img: &Img, roi: Rect) -> (Vec<u32>, u32) {
    label_with(img, roi, &mut go_on).unwrap_or_default()
}

/// Pixels labelled between two reports to a [`Progress`] callback.
const CHUNK: u64 = 4096;

/// [`label`], reporting its work to `p` and stopping when it says so.
pub fn label_with(img: &Img, roi: Rect, p: &mut Progress) -> Result<(Vec<u32>, u32), Stopped> {
    let Some(roi) = roi.clip(img) else { return Ok((Vec::new(), 0)) };
    let sm = median3_with(img, roi, p)?;
    let (w, h) = (roi.w() as usize, roi.h() as usize);
    let mut lab = vec![u32::MAX; w * h];
    let mut n = 0;
    let mut stack = Vec::new();
    let mut done = 0u64;
    for start in 0..w * h {
        if lab[start] != u32::MAX {
            continue;
        }
        lab[start] = n;
        stack.push(start);
        while let Some(i) = stack.pop() {
            done += 1;
            if done == CHUNK {
                tick(p, done)?;
                done = 0;
            }
            let (x, y) = (i % w, i / w);
            let here = sm[i];
            let mut visit = |j: usize| {
                if lab[j] == u32::MAX && dist2(sm[j], here) < STEP {
                    lab[j] = n;
                    stack.push(j);
                }
            };
            if x > 0 { visit(i - 1) }
            if x + 1 < w { visit(i + 1) }
            if y > 0 { visit(i - w) }
            if y + 1 < h { visit(i + w) }
        }
        n += 1;
    }
    tick(p, done)?;
    Ok((lab, n))
}

/// The blobs of `roi` (clipped to the image), left to right.
pub fn segment(img: &Img, roi: Rect) -> Vec<Blob> {
    segment_with(img, roi, &mut go_on).unwrap_or_default()
}

/// [`segment`], reporting its work to `p` (about seven units per pixel) and stopping when it says so.
pub fn segment_with(img: &Img, roi: Rect, p: &mut Progress) -> Result<Vec<Blob>, Stopped> {
    let Some(roi) = roi.clip(img) else { return Ok(Vec::new()) };
    let (lab, n) = label_with(img, roi, p)?;
    let (w, h) = (roi.w() as usize, roi.h() as usize);
    struct Acc { x0: u32, y0: u32, x1: u32, y1: u32, area: u32, sum: [u64; 3], border: u32 }
    let mut acc: Vec<Acc> = (0..n).map(|_| Acc { x0: u32::MAX, y0: u32::MAX, x1: 0, y1: 0, area: 0, sum: [0; 3], border: 0 }).collect();
    for y in 0..h {
        tick(p, w as u64)?;
        for x in 0..w {
            let a = &mut acc[lab[y * w + x] as usize];
            let (ax, ay) = (x as u32, y as u32);
            a.x0 = a.x0.min(ax);
            a.y0 = a.y0.min(ay);
            a.x1 = a.x1.max(ax + 1);
            a.y1 = a.y1.max(ay + 1);
            a.area += 1;
            let p = img.px(roi.x0 + ax, roi.y0 + ay);
            for (sum, v) in a.sum.iter_mut().zip(p) {
                *sum += v as u64;
            }
            if x == 0 || y == 0 || x + 1 == w || y + 1 == h {
                a.border += 1;
            }
        }
    }
    let bg = (0..n as usize).max_by_key(|&i| (acc[i].border, acc[i].area)).unwrap_or(0);
    let mut blobs: Vec<(u32, Blob)> = Vec::new();
    for (i, a) in acc.iter().enumerate() {
        if i == bg || a.area < MIN_AREA || a.x1 - a.x0 < MIN_SIDE || a.y1 - a.y0 < MIN_SIDE {
            continue;
        }
        let mut filled = 0u32;
        tick(p, u64::from(a.y1 - a.y0) * u64::from(a.x1 - a.x0))?;
        for y in a.y0..a.y1 {
            let row = &lab[y as usize * w..(y as usize + 1) * w];
            let xs = (a.x0..a.x1).filter(|&x| row[x as usize] == i as u32);
            let (mut lo, mut hi) = (u32::MAX, 0);
            for x in xs {
                lo = lo.min(x);
                hi = hi.max(x + 1);
            }
            filled += hi.saturating_sub(lo);
        }
        let area = a.area as u64;
        let color = [(a.sum[0] / area) as u8, (a.sum[1] / area) as u8, (a.sum[2] / area) as u8];
        let rect = Rect { x0: roi.x0 + a.x0, y0: roi.y0 + a.y0, x1: roi.x0 + a.x1, y1: roi.y0 + a.y1 };
        let span_fill = filled as f32 / rect.area().max(1) as f32;
        blobs.push((i as u32, Blob { rect, area: a.area, color, span_fill }));
    }
    drop_enclosed(&mut blobs, p)?;
    let mut out: Vec<Blob> = blobs.into_iter().map(|(_, b)| b).collect();
    out.sort_by_key(|b| (b.rect.x0, b.rect.y0));
    Ok(out)
}

/// Printed text and small fragments sit inside an object: a blob whose box lies inside a bigger
/// blob's box is dropped when it is ink-coloured or small. A small object drawn wholly over a big
/// one is lost the same way — one of the detector's real failure modes.
fn drop_enclosed(blobs: &mut Vec<(u32, Blob)>, p: &mut Progress) -> Result<(), Stopped> {
    let mut keep: Vec<bool> = Vec::with_capacity(blobs.len());
    for (_, b) in blobs.iter() {
        tick(p, blobs.len() as u64)?;
        let inkish = matches!(crate::palette::nearest(b.color), "black" | "white");
        keep.push(!blobs.iter().any(|(_, o)| o.area > b.area && o.rect.contains(&b.rect) && o.rect != b.rect && (inkish || b.area < 150)));
    }
    let mut k = keep.into_iter();
    blobs.retain(|_| k.next().unwrap_or(true));
    Ok(())
}
