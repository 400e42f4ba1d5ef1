//! A layer kept in a PostGIS table or view the data keeper edits in QGIS (the manifest's
//! `[layers.postgis]`): which table, which columns. Reading it is planmap-pg's job; a plan
//! folder alone cannot serve such a layer (it needs `--db`).

use serde::{Deserialize, Serialize};

/// `[layers.postgis]`: the keeper's table (or view) a layer is read from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgisSource {
    /// `schema.table` or `schema.view`.
    pub table: String,
    /// The column whose value is each feature's id (unique, not null).
    pub id_column: String,
    /// The column whose value is each feature's name (its `name` attribute), if any.
    #[serde(default)]
    pub name_column: Option<String>,
    /// The geometry column (any CGCS2000 or WGS84 CRS, lon/lat or projected).
    pub geometry_column: String,
    /// For a view: its base tables (`schema.table`), whose edits change the layer. Without
    /// them a view's edits are not noticed until the plan is loaded again.
    #[serde(default)]
    pub watch: Vec<String>,
}

/// PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes.
const MAX_IDENT: usize = 63;

/// A plain SQL identifier: letters (any script), digits and `_`, not starting with a digit,
/// at most 63 bytes. planmap quotes it, so its case is kept.
fn ident(what: &str, s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= MAX_IDENT
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c == '_' || c.is_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} '{s}': expected an identifier (letters, digits, _; at most 63 bytes)"
        ))
    }
}

/// `schema.table`, both identifiers.
pub fn split_table(what: &str, s: &str) -> Result<(String, String), String> {
    let Some((schema, table)) = s.split_once('.') else {
        return Err(format!("{what} '{s}': expected schema.table"));
    };
    ident(what, schema)?;
    ident(what, table)?;
    Ok((schema.to_string(), table.to_string()))
}

impl PostgisSource {
    /// The table and columns are identifiers, the table and each watched one `schema.table`.
    pub fn validate(&self) -> Result<(), String> {
        split_table("postgis table", &self.table)?;
        ident("postgis id_column", &self.id_column)?;
        ident("postgis geometry_column", &self.geometry_column)?;
        if let Some(n) = &self.name_column {
            ident("postgis name_column", n)?;
        }
        for w in &self.watch {
            split_table("postgis watch", w)?;
        }
        Ok(())
    }

    /// The table's schema and name.
    pub fn schema_table(&self) -> (String, String) {
        split_table("postgis table", &self.table).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(table: &str, id: &str) -> PostgisSource {
        PostgisSource {
            table: table.into(),
            id_column: id.into(),
            name_column: None,
            geometry_column: "geom".into(),
            watch: vec![],
        }
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(src("keeper.farmland", "gid").validate().is_ok());
        assert!(src("规划.永久基本农田", "gid").validate().is_ok());
        for bad in [
            "farmland",
            "a.b.c",
            "keeper.farm land",
            "k.\"x\"",
            "k.1x",
            ".x",
        ] {
            let e = src(bad, "gid").validate().unwrap_err();
            assert!(e.contains(bad) || e.contains("postgis table"), "{bad}: {e}");
        }
        let e = src("k.t", "gid; drop table x").validate().unwrap_err();
        assert!(e.contains("id_column"), "{e}");
        let long = format!("k.{}", "a".repeat(64));
        assert!(src(&long, "gid").validate().is_err());
        let mut w = src("k.v", "gid");
        w.watch = vec!["nodot".into()];
        assert!(w.validate().unwrap_err().contains("watch"));
    }
}
