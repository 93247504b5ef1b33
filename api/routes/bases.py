"""Managing the served knowledge bases: list, create, change access, delete (the server's key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from api.bases import BaseRegistry
from api.deps import BaseName, get_bases, get_kb, require_server_admin
from api.schemas import DeletedBaseOut, KbChange, KbChanged, KbCreate, KbCreated, KbOut, error_responses
from index.kb import KnowledgeBase

router = APIRouter(prefix="/api/v1/kbs", tags=["bases"], responses=error_responses(401))


def kb_out(bases: BaseRegistry, name: str) -> KbOut:
    stats = bases.get(name).stats()
    access = bases.access(name)
    return KbOut(name=name, public=access.public, has_key=bool(access.key_sha256), documents=int(stats["documents"]),
                 chunks=int(stats["chunks"]), default=name == bases.default)


@router.get("", response_model=list[KbOut], dependencies=[Depends(require_server_admin)],
            operation_id="list_bases", responses=error_responses(403))
def list_bases(bases: Annotated[BaseRegistry, Depends(get_bases)]) -> list[KbOut]:
    """Every base this server serves."""
    return [kb_out(bases, name) for name in bases.names()]


@router.post("", response_model=KbCreated, status_code=201, dependencies=[Depends(require_server_admin)],
             operation_id="create_base", responses=error_responses(403, 409))
def create_base(body: KbCreate, bases: Annotated[BaseRegistry, Depends(get_bases)]) -> KbCreated:
    """A new empty base. Its own key (for its admin routes, and for reading when it is not public) is
    in the answer, this once."""
    try:
        _, key = bases.create(body.name, body.public)
    except FileExistsError as error:
        raise HTTPException(409, str(error)) from None
    return KbCreated(**kb_out(bases, body.name).model_dump(), key=key)


@router.get("/{base}", response_model=KbOut, operation_id="get_base", responses=error_responses(404))
def get_base(base: BaseName, kb: Annotated[KnowledgeBase, Depends(get_kb)],
             bases: Annotated[BaseRegistry, Depends(get_bases)]) -> KbOut:
    """One base: its access and size (readable by whoever may read the base)."""
    return kb_out(bases, base)


@router.patch("/{base}", response_model=KbChanged, dependencies=[Depends(require_server_admin)],
              operation_id="change_base", responses=error_responses(403, 404))
def change_base(base: BaseName, body: KbChange, bases: Annotated[BaseRegistry, Depends(get_bases)]) -> KbChanged:
    if not bases.exists(base):
        raise HTTPException(404, f"no knowledge base named {base!r}")
    key = bases.set_access(base, body.public, body.new_key)
    return KbChanged(**kb_out(bases, base).model_dump(), key=key)


@router.delete("/{base}", response_model=DeletedBaseOut, dependencies=[Depends(require_server_admin)],
               operation_id="delete_base", responses=error_responses(403, 404, 409))
def delete_base(base: BaseName, request: Request, bases: Annotated[BaseRegistry, Depends(get_bases)]) -> DeletedBaseOut:
    """Delete the base and everything in its folder (documents uploaded to it included)."""
    try:
        request.app.state.jobs.forget(base)
        bases.delete(base)
    except KeyError:
        raise HTTPException(404, f"no knowledge base named {base!r}") from None
    except ValueError as error:
        raise HTTPException(409, str(error)) from None
    return DeletedBaseOut(name=base)
