//! `vqa` and `detect`, on PaliGemma.

use super::locations::parse_locations;
use super::paligemma::PaliGemma;
use super::{native_sig, pixels, NativeConfig};
use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, Param, Signature, Tool, ToolCtx};
use crate::types::Type;
use crate::value::{BBox, Region, Value};
use std::sync::Arc;

/// Longest answer, in tokens.
const ANSWER_TOKENS: usize = 24;
/// Longest detection output: about six objects of four location tokens and a short label.
const DETECT_TOKENS: usize = 64;

struct Vqa {
    sig: Signature,
    cfg: NativeConfig,
}

struct Detect {
    sig: Signature,
    cfg: NativeConfig,
}

pub fn tools(cfg: &NativeConfig) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(Vqa {
            sig: native_sig(Signature::new(
                "vqa",
                vec![Param::req("image", Type::Visual), Param::req("question", Type::Text)],
                Type::Text,
                "A short answer to `question` about the image or region (PaliGemma, prompt \"answer en <question>\", greedy).",
            )),
            cfg: cfg.clone(),
        }),
        Arc::new(Detect {
            sig: native_sig(Signature::new(
                "detect",
                vec![Param::req("image", Type::Visual), Param::req("query", Type::Text)],
                Type::list(Type::Region),
                "Regions showing `query` (\"car\", \"cat ; dog\"), left to right, labelled by the model \
                 (PaliGemma, prompt \"detect <query>\", location tokens → boxes); [] when none.",
            )),
            cfg: cfg.clone(),
        }),
    ]
}

fn nonempty<'a>(s: &'a str, what: &str) -> Result<&'a str, Diagnostic> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Diagnostic::new(Code::E402, format!("`{what}` is empty")));
    }
    Ok(t)
}

impl Tool for Vqa {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let region = args.visual(0)?;
        let q = nonempty(args.text(1)?, "question")?;
        let g = PaliGemma::shared(&self.cfg)?.generate(&region, &format!("answer en {q}"), ANSWER_TOKENS)?;
        Ok(Value::text(g.text))
    }
}

impl Tool for Detect {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let region = args.visual(0)?;
        let q = nonempty(args.text(1)?, "query")?;
        let g = PaliGemma::shared(&self.cfg)?.generate(&region, &format!("detect {q}"), DETECT_TOKENS)?;
        let mut found = regions_from(&g.raw, &region, q)?;
        found.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
        Ok(Value::list(found.into_iter().map(Value::Region).collect()))
    }
}

/// Boxes parsed from the model's output, placed on the full image (the model saw the region's
/// crop); a box with no label gets the query.
pub fn regions_from(raw: &str, region: &Region, query: &str) -> Result<Vec<Region>, Diagnostic> {
    let crop = pixels::crop(region)?;
    let (ox, oy) = (region.bbox.x0.floor().max(0.0), region.bbox.y0.floor().max(0.0));
    let (cw, ch) = (crop.width() as f64, crop.height() as f64);
    Ok(parse_locations(raw)
        .into_iter()
        .map(|l| {
            let bbox = BBox { x0: ox + l.x0 * cw, y0: oy + l.y0 * ch, x1: ox + l.x1 * cw, y1: oy + l.y1 * ch };
            let label = if l.label.is_empty() { query.to_string() } else { l.label };
            Region { label: Some(label.into()), ..Region::new(region.image.clone(), bbox) }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Image;

    #[test]
    fn boxes_land_on_the_full_image() {
        let img = Image::from_rgb(image::RgbImage::new(200, 100));
        let sub = Region::new(img.clone(), BBox { x0: 100.0, y0: 50.0, x1: 200.0, y1: 100.0 });
        let r = regions_from("<loc0000><loc0512><loc0512><loc1023> cat ; <loc0000><loc0000><loc0100><loc0100>", &sub, "animal").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].bbox.x0, r[0].bbox.y0, r[0].bbox.x1, r[0].bbox.y1), (150.0, 50.0, 100.0 + 1023.0 / 1024.0 * 100.0, 75.0));
        assert_eq!(r[0].label.as_deref(), Some("cat"));
        assert_eq!(r[1].label.as_deref(), Some("animal"));
        assert!(regions_from("nothing", &Region::whole(img), "x").unwrap().is_empty());
    }
}
