//! A minimal SVG writer: the handful of elements the plots use, with text
//! escaped. Written by hand rather than through plotters: plotters measures
//! text with system fonts (or a bundled TTF) and an offline HPC node may have
//! none; the plots need rectangles, polylines and text, about 100 lines.

use std::fmt::Write;

/// An SVG document being built; `finish` returns the text.
pub struct Svg {
    buf: String,
}

/// Escape text for an XML text node or attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A number as SVG wants it: short, finite.
fn n(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Text anchor of a label.
#[derive(Clone, Copy)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

impl Svg {
    pub fn new(width: f64, height: f64) -> Svg {
        let mut buf = String::new();
        let _ = writeln!(
            buf,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" \
             font-size=\"12\">",
            w = n(width),
            h = n(height)
        );
        let _ = writeln!(
            buf,
            "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
            n(width),
            n(height)
        );
        Svg { buf }
    }

    /// `<g>` with a class (the tests and the HTML page find panels by it).
    pub fn open_group(&mut self, class: &str, id: Option<&str>) {
        match id {
            Some(id) => {
                let _ = writeln!(
                    self.buf,
                    "<g class=\"{}\" id=\"{}\">",
                    escape(class),
                    escape(id)
                );
            }
            None => {
                let _ = writeln!(self.buf, "<g class=\"{}\">", escape(class));
            }
        }
    }

    pub fn close_group(&mut self) {
        self.buf.push_str("</g>\n");
    }

    /// A `<title>` inside the current element (a tooltip in browsers).
    pub fn title(&mut self, text: &str) {
        let _ = writeln!(self.buf, "<title>{}</title>", escape(text));
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, style: &str) {
        let _ = writeln!(
            self.buf,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {style}/>",
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0))
        );
    }

    /// A rectangle with a tooltip.
    pub fn rect_titled(&mut self, x: f64, y: f64, w: f64, h: f64, style: &str, title: &str) {
        let _ = writeln!(
            self.buf,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {style}><title>{}</title></rect>",
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0)),
            escape(title)
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, style: &str) {
        let _ = writeln!(
            self.buf,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {style}/>",
            n(x1),
            n(y1),
            n(x2),
            n(y2)
        );
    }

    /// One polyline per run of points; `data-*` attributes carry the series'
    /// name and extremes in data units so readers (and tests) need not
    /// invert the scale.
    pub fn polyline(&mut self, points: &[(f64, f64)], style: &str, data: &str) {
        if points.is_empty() {
            return;
        }
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
            .collect();
        let _ = writeln!(
            self.buf,
            "<polyline points=\"{}\" fill=\"none\" {style} {data}/>",
            pts.join(" ")
        );
    }

    pub fn text(&mut self, x: f64, y: f64, anchor: Anchor, style: &str, text: &str) {
        let _ = writeln!(
            self.buf,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" {style}>{}</text>",
            n(x),
            n(y),
            anchor.as_str(),
            escape(text)
        );
    }

    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>\n");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot; ");
    }

    #[test]
    fn numbers_are_short_and_finite() {
        assert_eq!(n(3.0), "3");
        assert_eq!(n(12.34), "12.3");
        assert_eq!(n(f64::NAN), "0");
    }
}
