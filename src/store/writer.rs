//! The store's own thread: every write happens here, in the order it was asked for, never on
//! the UI thread. Callers get a future for the outcome.
//!
//! When the database cannot be opened (a read-only or missing disk), the writer keeps trying to
//! open it again at each request, so a terminal recovers without a restart once the disk is back.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use chrono::{DateTime, FixedOffset};
use futures::channel::oneshot;

use super::{OpenReport, RatingDraft, Saved, Seal, Store, StoreError};

type Job = Box<dyn FnOnce(Result<&mut Store, StoreError>) + Send>;

/// A handle to the writer thread; cheap to clone.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
    /// Told whenever a rating is sealed (the background sync waits on it).
    sealed: Arc<tokio::sync::Notify>,
}

impl Writer {
    /// Starts the writer thread, which opens the database at `path` first. The returned future
    /// resolves with the outcome of that open (integrity check, recovered drafts).
    pub fn spawn(
        path: &Path,
        clock: fn() -> DateTime<FixedOffset>,
    ) -> (
        Self,
        impl Future<Output = Result<OpenReport, StoreError>> + use<>,
    ) {
        Self::spawn_with(path, clock, true)
    }

    /// Like [`Writer::spawn`]; `recover_drafts` false leaves drafts alone, for commands that
    /// run beside a kiosk whose citizen may be answering one.
    pub fn spawn_with(
        path: &Path,
        clock: fn() -> DateTime<FixedOffset>,
        recover_drafts: bool,
    ) -> (
        Self,
        impl Future<Output = Result<OpenReport, StoreError>> + use<>,
    ) {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let (opened_tx, opened_rx) = oneshot::channel();
        let thread_path = path.to_path_buf();
        let spawned = thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(&thread_path, clock, recover_drafts, &receiver, opened_tx));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the store's writer thread");
        }
        let opened = async move { opened_rx.await.unwrap_or(Err(StoreError::WriterGone)) };
        (
            Self {
                jobs,
                path: path.to_path_buf(),
                sealed: Arc::new(tokio::sync::Notify::new()),
            },
            opened,
        )
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saves a draft, sealing it with `seal`. See [`Store::save`].
    pub fn save(
        &self,
        draft: RatingDraft,
        seal: Option<Seal>,
    ) -> impl Future<Output = Result<Saved, StoreError>> + use<> {
        let sealed = self.sealed.clone();
        self.run(move |store| {
            let saved = store?.save(&draft, seal.as_ref())?;
            if saved.seq.is_some() {
                sealed.notify_one();
            }
            Ok(saved)
        })
    }

    /// Resolves once a rating has been sealed through this writer (or any clone of it) since
    /// the last time this was awaited.
    pub async fn sealed(&self) {
        self.sealed.notified().await;
    }

    /// Runs `job` on the writer thread with the open store.
    pub fn run<T, J>(&self, job: J) -> impl Future<Output = Result<T, StoreError>> + use<T, J>
    where
        T: Send + 'static,
        J: FnOnce(Result<&mut Store, StoreError>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        let sent = self.jobs.send(Box::new(move |store| {
            let _ = reply.send(job(store));
        }));
        async move {
            sent.map_err(|_| StoreError::WriterGone)?;
            outcome.await.unwrap_or(Err(StoreError::WriterGone))
        }
    }
}

fn run(
    path: &Path,
    clock: fn() -> DateTime<FixedOffset>,
    recover_drafts: bool,
    jobs: &mpsc::Receiver<Job>,
    opened: oneshot::Sender<Result<OpenReport, StoreError>>,
) {
    let mut store = match open_and_recover(path, clock(), recover_drafts) {
        Ok((store, report)) => {
            let _ = opened.send(Ok(report));
            Some(store)
        }
        Err(error) => {
            tracing::error!(%error, "the rating database cannot be opened");
            let _ = opened.send(Err(error));
            None
        }
    };
    while let Ok(job) = jobs.recv() {
        if store.is_none() {
            match open_and_recover(path, clock(), recover_drafts) {
                Ok((reopened, report)) => {
                    tracing::info!(?report, "the rating database is writable again");
                    store = Some(reopened);
                }
                Err(error) => {
                    job(Err(error));
                    continue;
                }
            }
        }
        if let Some(open) = store.as_mut() {
            job(Ok(open));
        }
    }
}

fn open_and_recover(
    path: &Path,
    now: DateTime<FixedOffset>,
    recover_drafts: bool,
) -> Result<(Store, OpenReport), StoreError> {
    let (mut store, mut report) = Store::open(path, now)?;
    if !recover_drafts {
        return Ok((store, report));
    }
    report.recovered_drafts = store.seal_drafts(now)?;
    if report.recovered_drafts > 0 {
        tracing::warn!(
            count = report.recovered_drafts,
            "sealed ratings left unfinished by a crash or power cut"
        );
    }
    Ok((store, report))
}
