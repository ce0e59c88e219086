//! [`RecordDetails`]: the typed, lenient view of one stored record that
//! `job-details` renders. Every field is a [`Field`]: absent, `null`, read
//! as its type, or kept as an [`ExtraValue`] when it has the wrong shape (a
//! block of the wrong shape is shown as unreadable instead of failing the
//! whole view). Keys this profrun does not know (blocks a newer profrun
//! adds, new keys inside known blocks) are kept in each block's `extra`, so
//! the view still shows them. Each block remembers the order its keys were
//! stored in, and lists its fields in that order, as the stored line reads.
//!
//! The written types (`JobRecord`, `DetailedProfile`, ...) default absent
//! figures to 0, which a view cannot tell from a measured 0; so the blocks
//! here are their own, field for field the written ones (same names, same
//! order), with every field optional.

use super::{Status, StoredStatus};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// A value the model has no type for, as stored (maps keep stored order).
#[derive(Debug, Clone, PartialEq)]
pub enum ExtraValue {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<ExtraValue>),
    Map(Vec<(String, ExtraValue)>),
}

/// Keys of a block that the model does not know.
pub type Extra = BTreeMap<String, ExtraValue>;

impl From<serde_json::Value> for ExtraValue {
    fn from(v: serde_json::Value) -> Self {
        use serde_json::Value;
        match v {
            Value::Null => ExtraValue::Null,
            Value::Bool(b) => ExtraValue::Bool(b),
            // Every JSON number has an f64 reading (large integers rounded).
            Value::Number(n) => n.as_f64().map_or(ExtraValue::Null, ExtraValue::Number),
            Value::String(s) => ExtraValue::Text(s),
            Value::Array(items) => ExtraValue::List(items.into_iter().map(Self::from).collect()),
            Value::Object(map) => {
                ExtraValue::Map(map.into_iter().map(|(k, v)| (k, Self::from(v))).collect())
            }
        }
    }
}

impl<'de> Deserialize<'de> for ExtraValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(ExtraValue::from)
    }
}

/// One field of a stored block, as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field<T> {
    /// The key is not in the record.
    #[default]
    Absent,
    /// Stored as `null`.
    Null,
    Known(T),
    /// Stored with a shape the type does not fit.
    Unreadable(ExtraValue),
}

impl<T> Field<T> {
    /// The value, when it was stored and read as its type.
    pub fn known(&self) -> Option<&T> {
        match self {
            Field::Known(t) => Some(t),
            _ => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        if v.is_null() {
            return Ok(Field::Null);
        }
        Ok(match T::deserialize(&v) {
            Ok(t) => Field::Known(t),
            Err(_) => Field::Unreadable(ExtraValue::from(v)),
        })
    }
}

impl<'de> Deserialize<'de> for StoredStatus {
    /// Any name reads: a newer profrun's status is kept as stored.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|name| StoredStatus::from_name(&name))
    }
}

/// One value of the view as a renderer walks it: typed blocks list their
/// fields by name, leaves are text, numbers, flags or lists.
#[derive(Clone, Copy)]
pub enum Item<'a> {
    Null,
    Bool(bool),
    Number(f64),
    Text(&'a str),
    List(&'a dyn ItemList),
    Block(&'a dyn Block),
    Unreadable(&'a ExtraValue),
}

/// A block: its present fields, known ones first in written order, then
/// the extra ones by name.
pub trait Block {
    fn fields(&self) -> Vec<(&str, Item<'_>)>;
}

/// A list, walked item by item.
pub trait ItemList {
    fn items(&self) -> Vec<Item<'_>>;
}

/// How a typed value is walked.
pub trait ToItem {
    fn item(&self) -> Item<'_>;
}

impl<T: ToItem> Field<T> {
    /// The field as walked; `None` when absent.
    pub fn item(&self) -> Option<Item<'_>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(Item::Null),
            Field::Known(t) => Some(t.item()),
            Field::Unreadable(v) => Some(Item::Unreadable(v)),
        }
    }
}

macro_rules! number_items {
    ($($t:ty),*) => {
        $(impl ToItem for $t {
            fn item(&self) -> Item<'_> {
                Item::Number(*self as f64)
            }
        })*
    };
}
number_items!(f64, u64, i64, u32, i32, u8);

impl ToItem for bool {
    fn item(&self) -> Item<'_> {
        Item::Bool(*self)
    }
}

impl ToItem for String {
    fn item(&self) -> Item<'_> {
        Item::Text(self)
    }
}

impl ToItem for StoredStatus {
    fn item(&self) -> Item<'_> {
        Item::Text(self.as_str())
    }
}

impl<T: ToItem> ToItem for Option<T> {
    fn item(&self) -> Item<'_> {
        self.as_ref().map_or(Item::Null, ToItem::item)
    }
}

impl<T: ToItem> ItemList for Vec<T> {
    fn items(&self) -> Vec<Item<'_>> {
        self.iter().map(ToItem::item).collect()
    }
}

impl<T: ToItem> ToItem for Vec<T> {
    fn item(&self) -> Item<'_> {
        Item::List(self)
    }
}

impl<T: ToItem> Block for BTreeMap<String, T> {
    fn fields(&self) -> Vec<(&str, Item<'_>)> {
        self.iter().map(|(k, v)| (k.as_str(), v.item())).collect()
    }
}

impl<T: ToItem> ToItem for BTreeMap<String, T> {
    fn item(&self) -> Item<'_> {
        Item::Block(self)
    }
}

impl Block for ExtraValue {
    fn fields(&self) -> Vec<(&str, Item<'_>)> {
        match self {
            ExtraValue::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.as_str(), v.item()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl ToItem for ExtraValue {
    fn item(&self) -> Item<'_> {
        match self {
            ExtraValue::Null => Item::Null,
            ExtraValue::Bool(b) => Item::Bool(*b),
            ExtraValue::Number(x) => Item::Number(*x),
            ExtraValue::Text(s) => Item::Text(s),
            ExtraValue::List(items) => Item::List(items),
            ExtraValue::Map(_) => Item::Block(self),
        }
    }
}

/// A block of the view: every field a [`Field`], unknown keys in `extra`,
/// and the order its keys were stored in (the view lists them in it).
macro_rules! view_block {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
        #[serde(default)]
        pub struct $name {
            $(pub $field: Field<$ty>,)*
            /// Keys this profrun does not know, kept to be shown as stored.
            #[serde(flatten)]
            pub extra: Extra,
            /// The stored keys, in stored order.
            #[serde(skip)]
            order: Vec<String>,
        }

        impl Block for $name {
            fn fields(&self) -> Vec<(&str, Item<'_>)> {
                let mut out: Vec<(&str, Item<'_>)> = Vec::new();
                $(if let Some(item) = self.$field.item() {
                    out.push((stringify!($field), item));
                })*
                out.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.item())));
                in_stored_order(&mut out, &self.order);
                out
            }
        }

        impl ToItem for $name {
            fn item(&self) -> Item<'_> {
                Item::Block(self)
            }
        }

        impl Remember for $name {
            fn remember(&mut self, stored: &serde_json::Value) {
                if let Some(map) = stored.as_object() {
                    self.order = map.keys().cloned().collect();
                    $(if let Some(v) = map.get(stringify!($field)) {
                        self.$field.remember(v);
                    })*
                }
            }
        }
    };
}

/// Sorts `fields` (known ones first, then the extra ones) by where their
/// key was stored; keys not stored keep their place at the end.
fn in_stored_order(fields: &mut [(&str, Item<'_>)], order: &[String]) {
    fields.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
}

/// Takes the stored key order of every block under a value, since a derived
/// `Deserialize` does not see it.
trait Remember {
    fn remember(&mut self, _stored: &serde_json::Value) {}
}

macro_rules! leaves {
    ($($t:ty),*) => {
        $(impl Remember for $t {})*
    };
}
leaves!(
    f64,
    u64,
    i64,
    u32,
    i32,
    u8,
    bool,
    String,
    StoredStatus,
    ExtraValue
);

impl<T> Remember for BTreeMap<String, T> {}

impl<T: Remember> Remember for Option<T> {
    fn remember(&mut self, stored: &serde_json::Value) {
        if let Some(t) = self {
            t.remember(stored);
        }
    }
}

impl<T: Remember> Remember for Vec<T> {
    fn remember(&mut self, stored: &serde_json::Value) {
        if let Some(items) = stored.as_array() {
            for (t, v) in self.iter_mut().zip(items) {
                t.remember(v);
            }
        }
    }
}

impl<T: Remember> Remember for Field<T> {
    fn remember(&mut self, stored: &serde_json::Value) {
        if let Field::Known(t) = self {
            t.remember(stored);
        }
    }
}

impl Remember for AlertDetails {
    fn remember(&mut self, stored: &serde_json::Value) {
        if let AlertDetails::Entry(e) = self {
            e.remember(stored);
        }
    }
}

view_block! {
    /// One stored record, as `job-details` shows it.
    RecordDetails {
        schema_version: u64,
        task_id: String,
        tool: String,
        script: String,
        // Values as stored: the seed system wrote numbers too.
        params: BTreeMap<String, ExtraValue>,
        tags: BTreeMap<String, ExtraValue>,
        command: Vec<String>,
        cwd: String,
        start_time: String,
        end_time: String,
        duration_seconds: f64,
        status: StoredStatus,
        returncode: i64,
        exit_code: i64,
        signal: SignalDetails,
        error: String,
        user: UserDetails,
        host: HostDetails,
        environment: BTreeMap<String, String>,
        resource_usage: ResourceUsageDetails,
        measurement: MeasurementDetails,
        descendants_left_running: Vec<ProcessRefDetails>,
        detailed_profile: ProfileDetails,
        alerts: Vec<AlertDetails>,
        limit: LimitDetails,
    }
}

view_block! {
    /// `--limit`'s crossing (`limit_exceeded` runs).
    LimitDetails {
        resource: String,
        limit: f64,
        value: f64,
        at_seconds: f64,
        mechanism: String,
    }
}

impl RecordDetails {
    /// The view of one stored line (any JSON object reads).
    pub fn from_line(line: &[u8]) -> serde_json::Result<RecordDetails> {
        let stored: serde_json::Value = serde_json::from_slice(line)?;
        let mut record = RecordDetails::deserialize(&stored)?;
        record.remember(&stored);
        Ok(record)
    }

    /// The status, when the record has a readable one.
    pub fn status(&self) -> Option<&StoredStatus> {
        self.status.known()
    }

    pub fn is(&self, status: Status) -> bool {
        self.status().is_some_and(|s| s.is(status))
    }
}

view_block! {
    SignalDetails { number: i64, name: String }
}

view_block! {
    UserDetails { name: String, uid: u64 }
}

view_block! {
    HostDetails {
        hostname: String,
        kernel: String,
        cpu_model: String,
        logical_cpus: u64,
        cpus_available: u64,
        memory_total_mb: f64,
    }
}

view_block! {
    ResourceUsageDetails {
        cpu_user_seconds: f64,
        cpu_system_seconds: f64,
        cpu_total_seconds: f64,
        memory_peak_mb: f64,
        max_rss_mb: f64,
        read_bytes: u64,
        write_bytes: u64,
        rchar: u64,
        wchar: u64,
        syscr: u64,
        syscw: u64,
        minor_page_faults: u64,
        major_page_faults: u64,
        voluntary_context_switches: u64,
        involuntary_context_switches: u64,
        block_input_ops: u64,
        block_output_ops: u64,
    }
}

view_block! {
    MeasurementDetails {
        cpu_source: String,
        memory_peak_source: String,
        io_source: String,
        cgroup_backend: String,
        cgroup_note: String,
    }
}

view_block! {
    ProcessRefDetails { pid: i64, name: String }
}

view_block! {
    /// An alert given as an object: profrun's `--alert` firing (`name`,
    /// `rule`, `fired_at_seconds`, `value`, `resolved_at_seconds`), or
    /// another tool's `level` or `severity`, and `message`.
    AlertEntry {
        level: String,
        severity: String,
        message: String,
        name: String,
        rule: String,
        fired_at_seconds: f64,
        value: f64,
        resolved_at_seconds: f64,
    }
}

/// An alert: a line of text, or an object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum AlertDetails {
    Text(String),
    // Boxed, so that a line of text does not take an entry's size.
    Entry(Box<AlertEntry>),
}

impl ToItem for AlertDetails {
    fn item(&self) -> Item<'_> {
        match self {
            AlertDetails::Text(s) => Item::Text(s),
            AlertDetails::Entry(e) => Item::Block(e.as_ref()),
        }
    }
}

view_block! {
    /// `detailed_profile`.
    ProfileDetails {
        available: bool,
        reason: String,
        duration_seconds: f64,
        samples_collected: u64,
        sampling_interval_seconds: f64,
        effective_interval_seconds: f64,
        cpu: HostCpuDetails,
        memory: HostMemoryDetails,
        process_cpu: PercentDetails,
        process_memory: ProcessMemoryDetails,
        memory_peaks: MemoryPeaksDetails,
        io_stats: IoDetails,
        network: NetworkDetails,
        disk: DiskDetails,
        pressure: PressureDetails,
        load_average: LoadAverageDetails,
        processes: ProcessCountDetails,
        top_processes: Vec<TopProcessDetails>,
        cpu_efficiency: f64,
        max_tick_delay_seconds: f64,
        timeseries: TimeSeriesDetails,
        gpu_stats: GpuDetails,
        container_stats: ContainerDetails,
        cgroup: CgroupDetails,
        alerts: Vec<AlertDetails>,
    }
}

view_block! {
    HostCpuDetails {
        mean_percent: f64,
        max_percent: f64,
        min_percent: f64,
        iowait_mean_percent: f64,
        per_core_mean_percent: Vec<Option<f64>>,
    }
}

view_block! {
    HostMemoryDetails {
        mean_used_mb: f64,
        max_used_mb: f64,
        min_used_mb: f64,
        total_mb: f64,
        min_available_mb: f64,
        max_cached_mb: f64,
        max_swap_used_mb: f64,
    }
}

view_block! {
    PercentDetails { mean_percent: f64, max_percent: f64, min_percent: f64 }
}

view_block! {
    ProcessMemoryDetails {
        mean_mb: f64,
        max_mb: f64,
        min_mb: f64,
        max_swap_mb: f64,
        max_pss_mb: f64,
    }
}

view_block! {
    MemoryPeaksDetails {
        tree_rss_sum_mb: f64,
        tree_shared_once_mb: f64,
        vmhwm_mb: f64,
        ru_maxrss_mb: f64,
    }
}

view_block! {
    IoDetails {
        read_mb: f64,
        write_mb: f64,
        read_count: u64,
        write_count: u64,
        total_io_mb: f64,
    }
}

view_block! {
    NetworkDetails {
        rx_bytes: u64,
        tx_bytes: u64,
        max_rx_bytes_per_second: f64,
        max_tx_bytes_per_second: f64,
        interfaces: Vec<InterfaceBytesDetails>,
    }
}

view_block! {
    DiskDetails {
        read_bytes: u64,
        write_bytes: u64,
        max_read_bytes_per_second: f64,
        max_write_bytes_per_second: f64,
        devices: Vec<DiskBytesDetails>,
    }
}

view_block! {
    InterfaceBytesDetails { name: String, rx_bytes: u64, tx_bytes: u64 }
}

view_block! {
    DiskBytesDetails { name: String, read_bytes: u64, write_bytes: u64 }
}

view_block! {
    PressureDetails {
        cpu: PressureResourceDetails,
        memory: PressureResourceDetails,
        io: PressureResourceDetails,
    }
}

view_block! {
    PressureResourceDetails {
        some_percent: f64,
        full_percent: f64,
        max_some_avg10_percent: f64,
    }
}

view_block! {
    LoadAverageDetails {
        mean_1m: f64,
        max_1m: f64,
        min_1m: f64,
        last_5m: f64,
        last_15m: f64,
    }
}

view_block! {
    ProcessCountDetails { max_concurrent: u64, total_seen: u64, max_threads: u64 }
}

view_block! {
    /// One row of `top_processes`.
    TopProcessDetails {
        name: String,
        pid: i64,
        cpu_seconds: f64,
        peak_rss_mb: f64,
        peak_pss_mb: f64,
        start_seconds: f64,
        last_seen_seconds: f64,
        running_at_end: bool,
    }
}

view_block! {
    /// `timeseries`: one list per column, `null` where a sample had no figure.
    TimeSeriesDetails {
        t_seconds: Vec<Option<f64>>,
        cpu_percent: Vec<Option<f64>>,
        rss_mb: Vec<Option<f64>>,
        read_bytes_per_second: Vec<Option<f64>>,
        write_bytes_per_second: Vec<Option<f64>>,
        processes: Vec<Option<f64>>,
        threads: Vec<Option<f64>>,
        host_cpu_percent: Vec<Option<f64>>,
        host_memory_used_mb: Vec<Option<f64>>,
        gpu_utilization_percent: Vec<Option<f64>>,
        gpu_memory_used_mb: Vec<Option<f64>>,
    }
}

view_block! {
    GpuDetails {
        available: bool,
        reason: String,
        backend: String,
        partial: bool,
        error: String,
        samples_collected: u64,
        nvidia: NvidiaDetails,
        devices: Vec<GpuDeviceDetails>,
        processes: Vec<GpuProcessDetails>,
        energy_joules: f64,
        power_mean_watts: f64,
    }
}

view_block! {
    NvidiaDetails {
        scope: String,
        device_count: u64,
        gpu_utilization_percent: f64,
        gpu_utilization_max_percent: f64,
        memory_utilization_percent: f64,
        memory_utilization_max_percent: f64,
        memory_used_mb: f64,
        memory_used_max_mb: f64,
        memory_total_mb: f64,
        temperature_celsius: f64,
        temperature_max_celsius: f64,
    }
}

view_block! {
    GpuDeviceDetails {
        index: u64,
        name: String,
        uuid: String,
        driver_version: String,
        used_by_job: bool,
        gpu_utilization_mean_percent: f64,
        gpu_utilization_max_percent: f64,
        memory_utilization_mean_percent: f64,
        memory_used_mean_mb: f64,
        memory_used_max_mb: f64,
        memory_total_mb: f64,
        temperature_mean_celsius: f64,
        temperature_max_celsius: f64,
        power_mean_watts: f64,
        power_max_watts: f64,
        sm_clock_mean_mhz: f64,
        sm_clock_max_mhz: f64,
        energy_joules: f64,
        figures_unavailable: Vec<String>,
    }
}

view_block! {
    GpuProcessDetails {
        pid: i64,
        device_index: u64,
        gpu_memory_peak_mb: f64,
        sm_utilization_mean_percent: f64,
        sm_utilization_max_percent: f64,
        samples: u64,
    }
}

view_block! {
    ContainerDetails {
        available: bool,
        reason: String,
        kind: String,
        cgroup_version: u64,
        cgroup_path: String,
        cpu_percent: String,
        cpu_limit: String,
        cpu_quota_cores: f64,
        cpu_usage_seconds: f64,
        memory_usage: String,
        memory_percent: String,
        memory_used_bytes: u64,
        memory_limit_bytes: u64,
        net_io: String,
        net_rx_bytes: u64,
        net_tx_bytes: u64,
        block_io: String,
        block_read_bytes: u64,
        block_write_bytes: u64,
    }
}

view_block! {
    CgroupDetails {
        backend: String,
        leaf: String,
        note: String,
        cpu_total_seconds: f64,
        cpu_user_seconds: f64,
        cpu_system_seconds: f64,
        memory_peak_mb: f64,
        memory_peak_source: String,
        read_bytes: u64,
        write_bytes: u64,
        oom_kills: u64,
        left_in_place: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> RecordDetails {
        RecordDetails::from_line(line.as_bytes()).expect("a JSON object reads")
    }

    #[test]
    fn a_field_is_absent_null_known_or_unreadable() {
        let r = read(r#"{"task_id": "a", "tool": null, "exit_code": "two"}"#);
        assert_eq!(r.task_id, Field::Known("a".to_string()));
        assert_eq!(r.tool, Field::Null);
        assert_eq!(
            r.exit_code,
            Field::Unreadable(ExtraValue::Text("two".into()))
        );
        assert_eq!(r.cwd, Field::Absent);
    }

    #[test]
    fn a_block_of_the_wrong_shape_leaves_the_rest_readable() {
        let r = read(r#"{"host": [1], "user": {"name": "ada", "uid": "x"}, "status": "success"}"#);
        let list = ExtraValue::List(vec![ExtraValue::Number(1.0)]);
        assert_eq!(r.host, Field::Unreadable(list));
        let user = r.user.known().expect("user reads");
        assert_eq!(user.name.known().map(String::as_str), Some("ada"));
        assert_eq!(user.uid, Field::Unreadable(ExtraValue::Text("x".into())));
        assert!(r.is(Status::Success));
    }

    #[test]
    fn a_newer_status_is_kept_as_stored() {
        let r = read(r#"{"status": "preempted"}"#);
        assert_eq!(r.status().map(StoredStatus::as_str), Some("preempted"));
        assert_eq!(r.status().and_then(StoredStatus::known), None);
    }

    #[test]
    fn unknown_keys_are_kept_and_listed_where_they_were_stored() {
        let r =
            read(r#"{"zeta": 1, "task_id": "a", "measurement": {"new": true, "io_source": "x"}}"#);
        let names: Vec<&str> = r.fields().into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["zeta", "task_id", "measurement"]);
        let m = r.measurement.known().expect("measurement");
        assert_eq!(m.extra.get("new"), Some(&ExtraValue::Bool(true)));
        let names: Vec<&str> = m.fields().into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["new", "io_source"]);
    }

    #[test]
    fn lists_of_blocks_keep_each_items_order() {
        let r = read(
            r#"{"detailed_profile": {"top_processes": [{"pid": 1, "name": "a"}, {"name": "b", "pid": 2}]}}"#,
        );
        let dp = r.detailed_profile.known().expect("profile");
        let procs = dp.top_processes.known().expect("processes");
        let order = |p: &TopProcessDetails| -> Vec<String> {
            p.fields().into_iter().map(|(k, _)| k.to_string()).collect()
        };
        assert_eq!(order(&procs[0]), ["pid", "name"]);
        assert_eq!(order(&procs[1]), ["name", "pid"]);
    }

    #[test]
    fn a_line_that_is_not_an_object_does_not_read() {
        assert!(RecordDetails::from_line(b"[1, 2]").is_err());
        assert!(RecordDetails::from_line(b"{\"task_id\": ").is_err());
    }
}
