"""`casetrack import clientes|causas FILE`: the importer on the command line, with a progress bar."""

from __future__ import annotations

import argparse
import sys

from ..store import open_database
from .mapping import ENTITIES, PRESETS
from .service import import_file

# Issues printed in full; the rest are counted (the whole report goes to --report).
SHOWN_ISSUES = 50


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        column, sep, target = value.partition("=")
        if not sep or not column.strip():
            raise argparse.ArgumentTypeError(
                f"{option} espera COLUMNA=VALOR (por ejemplo {option} \"Fecha de inicio=%d/%m/%Y\"), no «{value}»."
            )
        pairs[column.strip()] = target.strip()
    return pairs


def add_parser(commands) -> None:
    """Register the `import` subcommand on the `casetrack` parser."""
    parser = commands.add_parser(
        "import", help="importar clientes o causas desde un CSV o XLSX",
        description="Importa clientes o causas desde un archivo CSV o XLSX. Con errores no se guarda nada, "
        "salvo con --only-valid. Volver a importar el mismo archivo actualiza en vez de duplicar.",
    )
    parser.add_argument("entity", choices=ENTITIES, help="qué se importa")
    parser.add_argument("file", help="archivo .csv o .xlsx")
    parser.add_argument("--dry-run", action="store_true", help="revisar y mostrar el informe sin guardar nada")
    parser.add_argument("--only-valid", action="store_true", help="importar las filas válidas y omitir las que tienen errores")
    parser.add_argument("--encoding", help="codificación del CSV (utf-8, utf-8-sig, cp1252); por omisión se detecta")
    parser.add_argument("--sep", help="separador del CSV: ',' ';' o 'tab'; por omisión se detecta")
    parser.add_argument("--date-format", action="append", default=[], metavar="COL=FMT",
                        help="formato de fecha de una columna, para toda la columna (por ejemplo \"Fecha=%%d/%%m/%%Y\")")
    parser.add_argument("--map", action="append", default=[], metavar="COL=campo",
                        help="qué campo llena una columna (campo vacío: no importarla), por ejemplo \"Rol=case_number\"")
    parser.add_argument("--preset", default="auto", choices=("auto", "ninguno", *PRESETS),
                        help="formato conocido de archivo público (por omisión se detecta)")
    parser.add_argument("--report", metavar="ARCHIVO.csv", help="guardar el informe completo de filas en un CSV")
    parser.add_argument("--no-progress", action="store_true", help="no mostrar la barra de progreso")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Run the import; exit 0 when written (or checked without errors), 1 when rows have errors."""
    try:
        date_formats = _pairs(args.date_format, "--date-format")
        overrides = _pairs(args.map, "--map")
    except argparse.ArgumentTypeError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2

    from tqdm import tqdm

    def progress(**options):
        return tqdm(file=sys.stderr, disable=args.no_progress, mininterval=0.2, **options)

    db = open_database(args.db, user=args.user, create=False)
    report = import_file(
        db, args.entity, args.file, encoding=args.encoding, separator=args.sep, overrides=overrides,
        date_formats=date_formats, preset=None if args.preset == "ninguno" else args.preset,
        only_valid=args.only_valid, dry_run=args.dry_run, progress=progress,
    )
    print(report.summary())
    frame = report.to_frame()
    if not frame.empty:
        print()
        print(frame.head(SHOWN_ISSUES).to_string(index=False))
        if len(frame) > SHOWN_ISSUES:
            print(f"… y {len(frame) - SHOWN_ISSUES} más (use --report ARCHIVO.csv para verlas todas).")
    if args.report:
        from ..exporting import write

        write(frame, args.report)
        print(f"Informe guardado en {args.report}")
    return 0 if report.imported or (args.dry_run and not report.errors) else 1

