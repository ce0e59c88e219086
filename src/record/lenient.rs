//! Lenient serde helpers for the parts of a record that other issues are
//! still shaping (`detailed_profile`, `gpu_stats`, tags). A value of an
//! unexpected type becomes "absent" instead of making the whole line bad, and
//! anything not needed is skipped with `IgnoredAny`, never built.

use serde::de::{self, value::MapAccessDeserializer, DeserializeOwned, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::marker::PhantomData;

/// A number, or `None` for null or any other type.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Num(pub Option<f64>);

/// A scalar turned into a string (tag values written by hand may be numbers).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text(pub Option<String>);

/// An object deserialized as `T`, or `None` for null or any other type.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

fn drain_seq<'de, A: de::SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: de::MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Visits any JSON value; numbers (or scalars, for `Text`) are kept, the
/// rest is drained.
macro_rules! ignore_other_kinds {
    ($out:ty) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<$out, A::Error> {
            drain_seq(seq)?;
            Ok(Default::default())
        }
    };
}

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Num;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        Ok(Num(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num(Some(v as f64)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num(Some(v as f64)))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Num, A::Error> {
        drain_map(map)?;
        Ok(Num(None))
    }
    ignore_other_kinds!(Num);
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
        Ok(Text(Some(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
        drain_map(map)?;
        Ok(Text(None))
    }
    ignore_other_kinds!(Text);
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|v| Obj(Some(v)))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    ignore_other_kinds!(Obj<T>);
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// A GPU figure: the seed wrote a plain number; a later writer may store
/// `{"mean": .., "max": ..}`, or one object per device in a list (averaged).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeanFigure(pub Option<f64>);

#[derive(Deserialize, Default)]
#[serde(default)]
struct MeanFields {
    mean: Num,
    mean_percent: Num,
    avg: Num,
}

struct MeanVisitor;

impl<'de> Visitor<'de> for MeanVisitor {
    type Value = MeanFigure;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<MeanFigure, E> {
        Ok(MeanFigure(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<MeanFigure, E> {
        Ok(MeanFigure(Some(v as f64)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<MeanFigure, E> {
        Ok(MeanFigure(Some(v as f64)))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<MeanFigure, E> {
        Ok(MeanFigure(None))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<MeanFigure, A::Error> {
        let m = MeanFields::deserialize(MapAccessDeserializer::new(map))?;
        Ok(MeanFigure(m.mean.0.or(m.mean_percent.0).or(m.avg.0)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<MeanFigure, E> {
        Ok(MeanFigure(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<MeanFigure, E> {
        Ok(MeanFigure(None))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<MeanFigure, A::Error> {
        let (mut sum, mut n) = (0.0, 0u32);
        while let Some(v) = seq.next_element::<MeanFigure>()? {
            if let Some(x) = v.0 {
                sum += x;
                n += 1;
            }
        }
        Ok(MeanFigure((n > 0).then(|| sum / f64::from(n))))
    }
}

impl<'de> Deserialize<'de> for MeanFigure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MeanVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Probe {
        n: Num,
        t: Text,
        o: Obj<Inner>,
        g: MeanFigure,
    }

    #[derive(Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct Inner {
        x: Num,
    }

    #[test]
    fn unexpected_types_become_absent() {
        let p: Probe =
            serde_json::from_str(r#"{"n":"no","t":[1,{"a":2}],"o":7,"g":{"max":3}}"#).expect("ok");
        assert_eq!((p.n.0, p.t.0, p.o.0, p.g.0), (None, None, None, None));
    }

    #[test]
    fn expected_types_are_kept() {
        let p: Probe = serde_json::from_str(
            r#"{"n":2,"t":64,"o":{"x":1.5,"y":[1,2]},"g":[{"mean":10},{"mean_percent":30},5]}"#,
        )
        .expect("ok");
        assert_eq!(p.n.0, Some(2.0));
        assert_eq!(p.t.0.as_deref(), Some("64"));
        assert_eq!(p.o.0, Some(Inner { x: Num(Some(1.5)) }));
        assert_eq!(p.g.0, Some(15.0));
    }
}
