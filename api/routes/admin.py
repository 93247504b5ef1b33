"""Admin routes (X-API-Key): list, upload and delete documents; follow ingest jobs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import get_jobs, get_kb, get_settings, require_admin
from api.jobs import Job, JobStore
from api.schemas import DeletedOut, DocumentOut, FileResultOut, JobOut, error_responses
from config.settings import Settings
from index.kb import KnowledgeBase
from index.types import FileResult, FileStatus
from ingest.parsers import PARSERS

router = APIRouter(prefix="/api/v1/kbs/{base}", tags=["admin"], dependencies=[Depends(require_admin)],
                   responses=error_responses(401, 403, 404))

READ_BLOCK = 1 << 20


def job_out(job: Job) -> JobOut:
    return JobOut(id=job.id, status=job.status, files_total=job.files_total, files_done=len(job.results),
                  results=[FileResultOut.of(r) for r in job.results], error=job.error)


def safe_name(name: str | None) -> str:
    """A plain file name: no folders, no '..', no control characters."""
    base = Path((name or "").replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f]", "", base).strip().lstrip(".")
    return base or "upload"


@router.get("/documents", response_model=list[DocumentOut])
def list_documents(kb: Annotated[KnowledgeBase, Depends(get_kb)]) -> list[DocumentOut]:
    return [DocumentOut.of(r) for r in kb.documents()]


@router.post("/documents", response_model=JobOut, status_code=202, responses=error_responses(411, 413))
async def upload_documents(
    request: Request,
    background: BackgroundTasks,
    files: Annotated[list[UploadFile], File(description="One or many documents")],
    kb: Annotated[KnowledgeBase, Depends(get_kb)],
    jobs: Annotated[JobStore, Depends(get_jobs)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> JobOut:
    """Store the files under the base directory and ingest them in the background.

    Files of an unsupported type or over the size limit are refused per file, before their
    content is read; the job's results list them with the reason.
    """
    if len(files) > settings.max_upload_files:
        raise HTTPException(413, f"at most {settings.max_upload_files} files per upload")
    limit = int(settings.max_upload_mb * 1024 * 1024)
    job = jobs.new(len(files))
    folder = jobs.folder / job.id
    folder.mkdir(parents=True)
    accepted: list[Path] = []
    refused: list[FileResult] = []
    for upload in files:
        name = safe_name(upload.filename)
        if Path(name).suffix.lower() not in PARSERS:
            supported = ", ".join(sorted(PARSERS))
            refused.append(FileResult(name, FileStatus.failed,
                                      message=f"{name}: unsupported file type; supported: {supported}"))
            continue
        if upload.size is not None and upload.size > limit:
            refused.append(FileResult(name, FileStatus.failed, message=_too_large(name, upload.size, limit)))
            continue
        target = _unique(folder / name)
        if await _copy_limited(upload, target, limit):
            accepted.append(target)
        else:
            refused.append(FileResult(name, FileStatus.failed, message=_too_large(name, None, limit)))
    jobs.queue(job, accepted, refused)
    background.add_task(jobs.run, job, kb)
    return job_out(job)


def _too_large(name: str, size: int | None, limit: int) -> str:
    shown = f"{size:,} bytes" if size is not None else "more"
    return f"{name}: file is too large ({shown}; the upload limit is {limit:,} bytes)"


def _unique(path: Path) -> Path:
    candidate, number = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate


async def _copy_limited(upload: UploadFile, target: Path, limit: int) -> bool:
    """Copy in blocks, stopping (and deleting the partial file) once `limit` bytes are exceeded.

    File writes run in the thread pool, so a large upload never blocks the event loop that
    answers searches.
    """
    written = 0
    out = await run_in_threadpool(open, target, "wb")
    try:
        while block := await upload.read(READ_BLOCK):
            written += len(block)
            if written > limit:
                break
            await run_in_threadpool(out.write, block)
    finally:
        await run_in_threadpool(out.close)
    if written > limit:
        target.unlink()
        return False
    return True


@router.delete("/documents/{doc_id}", response_model=DeletedOut)
def delete_document(doc_id: str, kb: Annotated[KnowledgeBase, Depends(get_kb)],
                    jobs: Annotated[JobStore, Depends(get_jobs)]) -> DeletedOut:
    record = kb.remove(doc_id)
    source = Path(record.source)
    uploads = jobs.folder.resolve()
    if uploads in source.resolve().parents:  # an uploaded copy is ours to delete
        source.unlink(missing_ok=True)
    return DeletedOut(id=record.id, title=record.title, chunks=record.chunks)


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, jobs: Annotated[JobStore, Depends(get_jobs)]) -> JobOut:
    job = jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r} (finished jobs are kept for job_keep_days)")
    return job_out(job)
