//! The `--alert` observer: evaluates the rules on the sampler thread after
//! every sample, prints each firing and resolution on stderr at once, and
//! shares the rules' state through an [`AlertBoard`] (the record's `alerts`
//! at the end; `profrun_job_alert_firing` on the live endpoint meanwhile).

use std::sync::{Arc, Mutex, MutexGuard};

use crate::alerts::{Evaluator, Rule};
use crate::commands::output::say;
use crate::profile::Profiler;
use crate::record::AlertRecord;
use crate::sampler::TickObserver;

#[derive(Debug, Default)]
struct BoardState {
    firing: Vec<(String, bool)>,
    records: Vec<AlertRecord>,
}

/// The rules' state, shared between the sampler thread (which writes it
/// when a rule changes) and its readers. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AlertBoard(Arc<Mutex<BoardState>>);

impl AlertBoard {
    fn lock(&self) -> MutexGuard<'_, BoardState> {
        // A panic on the sampler thread mid-update leaves figures that are
        // still whole values: keep reading them.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Each rule's name and whether it fires now, in `--alert` order.
    pub fn firing_snapshot(&self) -> Vec<(String, bool)> {
        self.lock().firing.clone()
    }

    /// Every firing so far, in the order they fired.
    pub fn records(&self) -> Vec<AlertRecord> {
        self.lock().records.clone()
    }
}

pub struct AlertObserver {
    evaluator: Evaluator,
    board: AlertBoard,
}

impl AlertObserver {
    /// The observer for `rules`, and the board it keeps up to date.
    pub fn new(rules: Vec<Rule>, cpus_available: usize) -> (AlertObserver, AlertBoard) {
        let evaluator = Evaluator::new(rules, cpus_available);
        let board = AlertBoard::default();
        board.lock().firing = evaluator.firing();
        let observer = AlertObserver {
            evaluator,
            board: board.clone(),
        };
        (observer, board)
    }
}

impl TickObserver for AlertObserver {
    fn on_tick(&mut self, profiler: &Profiler, final_sample: bool) {
        // The final sample comes after the reap: an empty tree's memory
        // says nothing of the job (0 B would fire `memory<…` and clear
        // `memory>…` at the very end), its duration and last rates do.
        let events = self.evaluator.observe_sample(profiler.now(), final_sample);
        if events.is_empty() {
            return; // the common tick: no lock, no allocation past the Vec
        }
        for event in &events {
            say(&format!("profrun: {}", event.message()));
        }
        let mut board = self.board.lock();
        board.firing = self.evaluator.firing();
        board.records = self.evaluator.records().to_vec();
    }
}
