//! Turns Arrow columns of any layout LeRobot writers produce (scalars, `fixed_size_list`, `list`,
//! nested lists for 2-D features, bool, ints, floats) into per-dimension `f64` arrays ready to plot.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, OffsetSizeTrait};
use arrow_schema::DataType;

/// Why a column could not be turned into numbers.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ColumnError {
    #[error("column `{column}` holds {data_type}, not numbers")]
    NotNumeric { column: String, data_type: String },
    #[error("column `{column}` has rows of different lengths ({first} and {other} values)")]
    RaggedRows { column: String, first: usize, other: usize },
    #[error(
        "column `{column}` would flatten to {rows} rows of {width} values, its null rows filled with NaN: more than \
         Episcope holds"
    )]
    TooLarge { column: String, rows: usize, width: usize },
}

/// Null list rows are filled with NaN: a column may flatten to at most this many values more than
/// it holds (a few values of one very wide row and many null rows would otherwise cost
/// rows × width).
pub const MAX_NULL_FILL_VALUES: usize = 1 << 26;

/// A column flattened to `rows × width` values, row-major (`values[row * width + dim]`).
#[derive(Debug, Clone, PartialEq)]
pub struct FlatColumn {
    pub rows: usize,
    pub width: usize,
    pub values: Vec<f64>,
}

impl FlatColumn {
    /// The values of one dimension across rows.
    pub fn dimension(&self, dim: usize) -> Vec<f64> {
        (0..self.rows).map(|row| self.values[row * self.width + dim]).collect()
    }

    /// Dimension-major copy: one `Vec` per dimension.
    pub fn into_dimensions(self) -> Vec<Vec<f64>> {
        (0..self.width).map(|dim| self.dimension(dim)).collect()
    }

    /// Keeps only the rows where `keep` is true.
    pub fn filter_rows(&self, keep: &[bool]) -> FlatColumn {
        let mut values = Vec::new();
        let mut rows = 0;
        for (row, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
            if row < self.rows {
                values.extend_from_slice(&self.values[row * self.width..(row + 1) * self.width]);
                rows += 1;
            }
        }
        FlatColumn { rows, width: self.width, values }
    }
}

/// Flattens a column; nulls become NaN.
pub fn flatten_numeric(column: &str, array: &ArrayRef) -> Result<FlatColumn, ColumnError> {
    flatten(column, array.as_ref())
}

fn primitive<T: arrow_array::ArrowPrimitiveType>(array: &dyn Array, to_f64: impl Fn(T::Native) -> f64) -> Vec<f64> {
    let array = array.as_primitive::<T>();
    (0..array.len()).map(|i| if array.is_null(i) { f64::NAN } else { to_f64(array.value(i)) }).collect()
}

fn flatten(column: &str, array: &dyn Array) -> Result<FlatColumn, ColumnError> {
    let rows = array.len();
    let scalar = |values: Vec<f64>| Ok(FlatColumn { rows, width: 1, values });
    match array.data_type() {
        DataType::Float64 => scalar(primitive::<Float64Type>(array, |v| v)),
        DataType::Float32 => scalar(primitive::<Float32Type>(array, f64::from)),
        DataType::Float16 => scalar(primitive::<Float16Type>(array, f64::from)),
        DataType::Int64 => scalar(primitive::<Int64Type>(array, |v| v as f64)),
        DataType::Int32 => scalar(primitive::<Int32Type>(array, f64::from)),
        DataType::Int16 => scalar(primitive::<Int16Type>(array, f64::from)),
        DataType::Int8 => scalar(primitive::<Int8Type>(array, f64::from)),
        DataType::UInt64 => scalar(primitive::<UInt64Type>(array, |v| v as f64)),
        DataType::UInt32 => scalar(primitive::<UInt32Type>(array, f64::from)),
        DataType::UInt16 => scalar(primitive::<UInt16Type>(array, f64::from)),
        DataType::UInt8 => scalar(primitive::<UInt8Type>(array, f64::from)),
        DataType::Boolean => {
            let array = array.as_boolean();
            scalar(
                (0..rows)
                    .map(|i| {
                        if array.is_null(i) {
                            f64::NAN
                        } else if array.value(i) {
                            1.0
                        } else {
                            0.0
                        }
                    })
                    .collect(),
            )
        }
        DataType::FixedSizeList(_, size) => {
            let list = array.as_fixed_size_list();
            let size = (*size).max(0) as usize;
            let child = list.values().slice(list.offset() * size, rows * size);
            let inner = flatten(column, child.as_ref())?;
            let mut out = FlatColumn { rows, width: size * inner.width, values: inner.values };
            null_rows_to_nan(list, &mut out);
            Ok(out)
        }
        DataType::List(_) => flatten_list(column, array.as_list::<i32>()),
        DataType::LargeList(_) => flatten_list(column, array.as_list::<i64>()),
        other => Err(ColumnError::NotNumeric { column: column.to_string(), data_type: other.to_string() }),
    }
}

fn flatten_list<O: OffsetSizeTrait>(
    column: &str,
    list: &arrow_array::GenericListArray<O>,
) -> Result<FlatColumn, ColumnError> {
    let offsets = list.value_offsets();
    let rows = list.len();
    let lengths = offsets.windows(2).map(|w| (w[1] - w[0]).as_usize());
    let mut per_row = None;
    for (row, length) in lengths.enumerate() {
        if list.is_null(row) {
            continue;
        }
        match per_row {
            None => per_row = Some(length),
            Some(first) if first != length => {
                return Err(ColumnError::RaggedRows { column: column.to_string(), first, other: length })
            }
            Some(_) => {}
        }
    }
    let per_row = per_row.unwrap_or(0);
    let start = offsets.first().map(|o| o.as_usize()).unwrap_or(0);
    let end = offsets.last().map(|o| o.as_usize()).unwrap_or(0);
    let child = list.values().slice(start, end - start);
    let inner = flatten(column, child.as_ref())?;
    let width = per_row * inner.width;
    // Null rows hold no values: rebuild row by row, filling them with NaN.
    if list.null_count() > 0 {
        let total = rows
            .checked_mul(width)
            .filter(|&total| total <= inner.values.len().saturating_add(MAX_NULL_FILL_VALUES))
            .ok_or_else(|| ColumnError::TooLarge { column: column.to_string(), rows, width })?;
        let mut values = Vec::with_capacity(total);
        let mut cursor = 0;
        for row in 0..rows {
            if list.is_null(row) {
                let skipped = (offsets[row + 1] - offsets[row]).as_usize() * inner.width;
                cursor += skipped;
                values.extend(std::iter::repeat_n(f64::NAN, width));
            } else {
                values.extend_from_slice(&inner.values[cursor..cursor + width]);
                cursor += width;
            }
        }
        return Ok(FlatColumn { rows, width, values });
    }
    Ok(FlatColumn { rows, width, values: inner.values })
}

fn null_rows_to_nan(array: &dyn Array, out: &mut FlatColumn) {
    if array.null_count() == 0 {
        return;
    }
    for row in 0..out.rows {
        if array.is_null(row) {
            out.values[row * out.width..(row + 1) * out.width].fill(f64::NAN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{FixedSizeListBuilder, Float32Builder, ListBuilder};
    use arrow_array::{BooleanArray, Int64Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn fixed_size_list_and_list_give_the_same_values() {
        let mut fixed = FixedSizeListBuilder::new(Float32Builder::new(), 2);
        let mut list = ListBuilder::new(Float32Builder::new());
        for row in 0..3 {
            for dim in 0..2 {
                fixed.values().append_value((row * 10 + dim) as f32);
                list.values().append_value((row * 10 + dim) as f32);
            }
            fixed.append(true);
            list.append(true);
        }
        let fixed: ArrayRef = Arc::new(fixed.finish());
        let list: ArrayRef = Arc::new(list.finish());
        let a = flatten_numeric("x", &fixed).unwrap();
        let b = flatten_numeric("x", &list).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.width, 2);
        assert_eq!(a.into_dimensions(), vec![vec![0.0, 10.0, 20.0], vec![1.0, 11.0, 21.0]]);
    }

    #[test]
    fn sliced_lists_flatten_only_their_rows() {
        let mut list = ListBuilder::new(Float32Builder::new());
        for row in 0..4 {
            list.values().append_value(row as f32);
            list.append(true);
        }
        let array: ArrayRef = Arc::new(list.finish());
        let sliced = array.slice(2, 2);
        assert_eq!(flatten_numeric("x", &sliced).unwrap().values, vec![2.0, 3.0]);
    }

    #[test]
    fn nested_lists_flatten_to_the_product_of_the_shape() {
        let mut outer = ListBuilder::new(ListBuilder::new(Float32Builder::new()));
        for row in 0..2 {
            for r in 0..3 {
                for c in 0..4 {
                    outer.values().values().append_value((row * 100 + r * 4 + c) as f32);
                }
                outer.values().append(true);
            }
            outer.append(true);
        }
        let array: ArrayRef = Arc::new(outer.finish());
        let flat = flatten_numeric("ee", &array).unwrap();
        assert_eq!((flat.rows, flat.width), (2, 12));
        assert_eq!(flat.values[12], 100.0);
        assert_eq!(flat.values[23], 111.0);
    }

    #[test]
    fn ragged_lists_are_an_error_and_strings_are_not_numbers() {
        let mut list = ListBuilder::new(Float32Builder::new());
        list.values().append_value(1.0);
        list.append(true);
        list.values().append_value(1.0);
        list.values().append_value(2.0);
        list.append(true);
        let array: ArrayRef = Arc::new(list.finish());
        assert_eq!(
            flatten_numeric("v", &array).unwrap_err(),
            ColumnError::RaggedRows { column: "v".into(), first: 1, other: 2 }
        );
        let strings: ArrayRef = Arc::new(StringArray::from(vec!["a"]));
        assert!(matches!(flatten_numeric("s", &strings), Err(ColumnError::NotNumeric { .. })));
    }

    #[test]
    fn bools_ints_and_nulls() {
        let bools: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]));
        let flat = flatten_numeric("b", &bools).unwrap();
        assert_eq!(flat.values[0], 1.0);
        assert!(flat.values[1].is_nan());
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![5, -3]));
        assert_eq!(flatten_numeric("i", &ints).unwrap().values, vec![5.0, -3.0]);
        let keep = flatten_numeric("i", &ints).unwrap().filter_rows(&[false, true]);
        assert_eq!(keep.values, vec![-3.0]);
    }
}
