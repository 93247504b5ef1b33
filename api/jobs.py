"""Background ingestion jobs started by uploads: state kept in memory, files under the base dir."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from index.kb import IngestListener, KnowledgeBase
from index.types import FileResult

log = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    files_total: int
    status: str = "queued"  # queued | running | done | failed
    results: list[FileResult] = field(default_factory=list)
    error: str = ""


class _JobListener(IngestListener):
    def __init__(self, job: Job) -> None:
        self.job = job

    def file_done(self, result: FileResult) -> None:
        self.job.results.append(result)


class JobRegistry:
    """Runs one ingest at a time (they share the indexes) and remembers every job of this process."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._run_lock = threading.Lock()

    def new(self, files_total: int) -> Job:
        job = Job(uuid.uuid4().hex, files_total)
        self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def run(self, job: Job, kb: KnowledgeBase, files: list[Path], early: list[FileResult]) -> None:
        """Ingest `files`; `early` are per-file refusals made before the job started (size, type)."""
        with self._run_lock:
            job.status = "running"
            job.results.extend(early)
            try:
                kb.ingest(files, _JobListener(job))
                job.status = "done"
            except Exception as error:  # a job must end in a state the client can read
                log.exception("ingest job %s failed", job.id)
                job.status, job.error = "failed", f"{type(error).__name__}: {error}"
