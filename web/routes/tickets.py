"""Tiket: handed-off questions, answered from the console through the outbox, and closed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from asnkarier.services import ticket_desk
from web.deps import CurrentOfficer, Db, Now
from web.templating import render

router = APIRouter(prefix="/tiket")


@router.get("")
def daftar(request: Request, officer: CurrentOfficer, db: Db, status: str = "terbuka") -> Response:
    items = ticket_desk.listing(db, officer, open_only=status != "ditutup")
    return render(request, "tickets/daftar.html", items=items, status=status)


@router.get("/{ticket_id}")
def rincian(request: Request, ticket_id: int, officer: CurrentOfficer, db: Db) -> Response:
    try:
        found = ticket_desk.thread(db, officer, ticket_id)
    except ticket_desk.TicketHidden as exc:
        raise HTTPException(404, str(exc)) from None
    return render(request, "tickets/rincian.html", t=found)


@router.post("/{ticket_id}/jawab")
def jawab(
    request: Request,
    ticket_id: int,
    officer: CurrentOfficer,
    db: Db,
    now: Now,
    jawaban: Annotated[str, Form()] = "",
) -> Response:
    try:
        ticket_desk.answer(db, officer, ticket_id, jawaban, now)
    except ticket_desk.TicketHidden as exc:
        raise HTTPException(404, str(exc)) from None
    except ticket_desk.TicketError as exc:
        raise HTTPException(422, str(exc)) from None
    return RedirectResponse(f"/tiket/{ticket_id}", status_code=303)


@router.post("/{ticket_id}/tutup")
def tutup(request: Request, ticket_id: int, officer: CurrentOfficer, db: Db) -> Response:
    try:
        ticket_desk.close(db, officer, ticket_id)
    except ticket_desk.TicketHidden as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse(f"/tiket/{ticket_id}", status_code=303)
