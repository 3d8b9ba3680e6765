"""``totalplace network``: init, add, status, method, compare and learn.

Kept here, beside the network's code, and added to the main command line
(:mod:`totalplace.cli`) as a group; errors go through the one error shape
(:mod:`totalplace.console`), which both use.
Imports are made inside the commands so the command line starts quickly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from totalplace import console

if TYPE_CHECKING:
    from totalplace.errors import TotalPlaceError

__all__ = ["network_app"]

network_app = typer.Typer(
    help="A network of places sharing one method (totalplace network "
    "init|add|status|method|compare|learn).",
    no_args_is_help=True,
)
learn_app = typer.Typer(
    help="The network's shared learning log (totalplace network learn DIR add|list).",
    no_args_is_help=True,
)
network_app.add_typer(learn_app, name="learn")

_Dir = Annotated[Path, typer.Argument(help="The network folder.")]
_Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _fail(exc: TotalPlaceError, as_json: bool) -> typer.Exit:
    return console.fail(exc, as_json)


def _print(text: str) -> None:
    console.out.print(text, highlight=False, soft_wrap=True)


def _who() -> str:
    return console.who()


def _money(pence: int | None) -> str:
    from totalplace.money import display_pounds

    return "not known" if pence is None else display_pounds(pence)


@network_app.command("init")
def network_init(
    directory: _Dir,
    name: Annotated[str, typer.Option(help="The network's name.")] = "Network of places",
    method: Annotated[
        Path | None,
        typer.Option(
            help="A workspace or folder whose rules/, scenarios/ and opportunity "
            "assumptions start the shared method (default: the shipped method alone)."
        ),
    ] = None,
    as_json: _Json = False,
) -> None:
    """Create a network folder with its shared method at version 1."""
    from totalplace.errors import TotalPlaceError
    from totalplace.network import init_network

    try:
        net = init_network(directory, name, method)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(net.to_dict(), indent=2))
    else:
        _print(f"network {net.name!r} in {net.root}: method version 1 ({net.hash[:12]})")


@network_app.command("add")
def network_add(
    directory: _Dir,
    workspace: Annotated[Path, typer.Argument(help="The place's workspace.")],
    name: Annotated[
        str | None, typer.Option(help="The member's name (default: its study's).")
    ] = None,
    take_method: Annotated[
        bool,
        typer.Option(
            "--take-method",
            help="Replace the workspace's rules/, scenarios/ and opportunity assumptions "
            "with the network's method (otherwise a workspace that differs is refused).",
        ),
    ] = False,
    as_json: _Json = False,
) -> None:
    """Add a place's workspace; refused, naming each file that differs, when its
    method is not the network's."""
    from totalplace.errors import TotalPlaceError
    from totalplace.network import add_member, open_network

    try:
        net = open_network(directory)
        member = add_member(net, workspace, name, take_method)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"member": {"name": member.name, "path": member.path}}, indent=2))
    else:
        _print(
            f"{member.name} joined {net.name!r} with method version {net.version}; "
            f"count it (totalplace count {workspace}) so its count carries the version"
        )


@network_app.command("status")
def network_status(directory: _Dir, as_json: _Json = False) -> None:
    """The network's method version, changelog and members."""
    from totalplace.errors import TotalPlaceError
    from totalplace.network import open_network

    try:
        data = open_network(directory).to_dict()
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(data, indent=2))
        return
    _print(f"{data['name']}: method version {data['method_version']} "
           f"({data['method_hash'][:12]})")  # fmt: skip
    for c in data["changelog"]:
        _print(f"  version {c['version']} ({c['date']}, {c['by']}): {c['note']}")
    for m in data["members"]:
        if m["state"] == "missing":
            _print(f"  {m['name']}: {m['note']}")
            continue
        if not m.get("counted"):
            counted = f"not counted yet: totalplace count {m['path']}"
        elif m.get("counted_with_network_method"):
            counted = "counted with it"
        else:
            counted = f"counted with another method: count it again (totalplace count {m['path']})"
        _print(f"  {m['name']}: {m['state']}, {counted} ({m['path']})")


@network_app.command("method")
def network_method(
    directory: _Dir,
    propose: Annotated[
        Path,
        typer.Option(help="A folder holding the proposed method: rules/, scenarios/, assumptions."),
    ],
    adopt: Annotated[
        bool, typer.Option("--adopt", help="Adopt it after showing its effect.")
    ] = False,
    note: Annotated[str, typer.Option(help="Why the method changes (the changelog).")] = "",
    version: Annotated[str | None, typer.Option(help="The new version (default: next).")] = None,
    as_json: _Json = False,
) -> None:
    """Show a method change's effect on every member's figures (each counted
    again in a scratch copy; the members' reports are not touched), and with
    --adopt make it the network's method."""
    from totalplace.errors import ConfigError, TotalPlaceError
    from totalplace.network import open_network
    from totalplace.network.propose import adopt as adopt_method
    from totalplace.network.propose import propose as propose_method

    try:
        net = open_network(directory)
        if adopt and not note.strip():
            raise ConfigError("say why the method changes: --note TEXT (it goes in the changelog)")
        result = propose_method(net, propose)
        if adopt:
            result["adopted"] = adopt_method(net, propose, note, _who(), version)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(result, indent=2))
        return
    _render_effect(result)


def _render_effect(result: dict[str, Any]) -> None:
    from rich.table import Table

    files = result["files_changed"]
    _print(
        f"proposed method {result['proposed']['hash'][:12]} against version "
        f"{result['current']['version']}: {len(files)} file(s) differ"
        + (": " + "; ".join(f"{f['file']} ({f['change']})" for f in files) if files else "")
    )
    for m in result["members"]:
        t = m["total"]
        table = Table(
            title=f"{m['name']}: total {_money(t['before_pence'])} -> {_money(t['after_pence'])} "
            f"({_money(t['difference_pence'])}); before: {m['before_from']}"
        )
        for col in ("theme", "before", "after", "difference"):
            table.add_column(col, justify="left" if col == "theme" else "right")
        for r in m["themes"]:
            if r["difference_pence"]:
                table.add_row(
                    r["label"],
                    _money(r["before_pence"]),
                    _money(r["after_pence"]),
                    _money(r["difference_pence"]),
                )
        if not m["themes_changed"]:
            table.add_row("(no theme changes)", "", "", "")
        console.out.print(table)
    for m in result.get("skipped", []):
        _print(f"{m['name']}: not shown: {m['reason']}")
    _print(f"scratch counts: {result['scratch']}")
    adopted = result.get("adopted")
    if adopted:
        _print(
            f"adopted as method version {adopted['version']} and given to "
            f"{', '.join(adopted['given_to'])}; count each member again to stamp it"
        )
    else:
        _print("nothing adopted: run again with --adopt --note WHY to adopt it")


@network_app.command("compare")
def network_compare(
    directory: _Dir,
    html: Annotated[
        Path | None,
        typer.Option(help="Write the comparison as a report to print (HTML, A4, charts)."),
    ] = None,
    pdf: Annotated[
        Path | None,
        typer.Option(help="Also print the report to this PDF (needs Chromium; with --html)."),
    ] = None,
    map_page: Annotated[
        Path | None,
        typer.Option("--map", help="Write the comparison as an interactive page with a map."),
    ] = None,
    as_json: _Json = False,
) -> None:
    """The members side by side: per head by theme, prevention split,
    opportunities, and the barriers that recur across places; with --html
    (and --pdf) the comparison report the network publishes."""
    from totalplace.errors import ConfigError, TotalPlaceError
    from totalplace.network import open_network
    from totalplace.network.compare import comparison, render_html
    from totalplace.network.learning import read_log
    from totalplace.workspace import atomic_write

    made = None
    try:
        if pdf is not None and html is None:
            raise ConfigError("--pdf prints the report --html writes: give --html OUT too")
        net = open_network(directory)
        # the printed report lists each member's register as its place report does
        data = comparison(net, build_registers=html is not None)
        if html is not None:
            from totalplace.network.report import write_network_report

            made = write_network_report(net, html, pdf, data)
        if map_page is not None:
            lessons = [x.to_dict() for x in read_log(net)]
            atomic_write(map_page, render_html(data, lessons))
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        written: dict[str, Any] = {"html": None, "pdf": None, "pages": None, "map": None}
        if made is not None:
            written.update(html=made["html"], pdf=made["pdf"], pages=made["pages"])
        if map_page is not None:
            written["map"] = str(map_page)
        print(json.dumps({**data, "written": written}, indent=2))
        return
    _render_comparison(data)
    if made is not None:
        pages = f" ({made['pages']} pages)" if made["pages"] else ""
        _print(f"report: {made['html']}" + (f", {made['pdf']}{pages}" if made["pdf"] else ""))
    if map_page is not None:
        _print(f"map: {map_page}")


def _absent(member: dict[str, Any]) -> int | None:
    """Per head of a theme the member does not spend on: nothing, when its
    population is known (else not known)."""
    return None if member["per_head_pence"] is None else 0


def _render_comparison(data: dict[str, Any]) -> None:
    from rich.table import Table

    from totalplace.money import millions

    counted = [m for m in data["members"] if m.get("counted")]
    for m in data["members"]:
        if m.get("note"):
            _print(f"{m['name']}: {m['note']}")
    for caution in data.get("cautions", []):
        _print(f"note: {caution}")
    # per head where any member's population is known; else the money itself
    per_head = any(m["per_head_pence"] is not None for m in counted)
    what = "per head by theme" if per_head else "money by theme (no population known)"
    table = Table(title=f"{data['network']}: {what} (method {data['method_version']})")
    table.add_column("theme")
    for m in counted:
        table.add_column(m["name"], justify="right")
    table.add_row("Total", *(millions(m["total_pence"]) for m in counted))
    if per_head:
        table.add_row("Total per head", *(_money(m["per_head_pence"]) for m in counted))
    for t in data["themes"]:
        if per_head:
            cells = [
                _money(m["by_theme_per_head_pence"].get(t["theme"], _absent(m))) for m in counted
            ]
        else:
            cells = [millions(m["by_theme_pence"].get(t["theme"], 0)) for m in counted]
        table.add_row(t["label"], *cells)
    shares = [m["prevention"]["prevention_share"] for m in counted]
    table.add_row(
        "Prevention share", *("not known" if s is None else f"{float(s):.1%}" for s in shares)
    )
    console.out.print(table)
    for g in data["recurring_barriers"]:
        _print(
            f"barrier in {len(g['places'])} places: {g['type_label']} on {g['theme_label']} "
            f"({', '.join(g['places'])})"
        )
    for o in data["recurring_opportunities"]:
        value = _money(o["value_pence"])
        _print(f"opportunity in {len(o['places'])} places: {o['kind']} ({value})")


@learn_app.callback()
def learn_group(ctx: typer.Context, directory: _Dir) -> None:
    ctx.obj = directory


@learn_app.command("add")
def learn_add(
    ctx: typer.Context,
    place: Annotated[str, typer.Option(help="The member that tried it.")],
    tried: Annotated[str, typer.Option(help="What the place tried.")],
    happened: Annotated[str, typer.Option(help="What happened.")],
    case: Annotated[Path | None, typer.Option(help="Its business case file.")] = None,
    as_json: _Json = False,
) -> None:
    """Write down what a place tried and what happened."""
    from totalplace.errors import TotalPlaceError
    from totalplace.network import open_network
    from totalplace.network.learning import add_lesson

    try:
        lesson = add_lesson(open_network(ctx.obj), place, tried, happened, _who(), case)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"lesson": lesson.to_dict()}, indent=2))
    else:
        _print(f"{lesson.id} recorded for {lesson.place}")


@learn_app.command("list")
def learn_list(ctx: typer.Context, as_json: _Json = False) -> None:
    """The shared learning, oldest first."""
    from rich.table import Table

    from totalplace.errors import TotalPlaceError
    from totalplace.network import open_network
    from totalplace.network.learning import read_log

    try:
        log = read_log(open_network(ctx.obj))
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"lessons": [x.to_dict() for x in log]}, indent=2))
        return
    table = Table(title=f"{len(log)} lesson{'' if len(log) == 1 else 's'}")
    for col in ("id", "date", "place", "tried", "happened", "case"):
        table.add_column(col)
    for x in log:
        table.add_row(x.id, x.date, x.place, x.tried, x.happened, x.case)
    console.out.print(table)
