"""The `casetrack` command line: databases, users, settings, demo data and the dashboard server."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from . import backup, case_counts, demo, settings, users
from .errors import CasetrackError
from .importing import command as import_command
from .i18n import set_language
from .store import DEFAULT_PATH, current_username, open_database, resolve_path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

DEMO_USERS = ("socia", "admin", "analista")

# Sizes for `casetrack demo --size`: (clients, cases).
DEMO_SIZES = {"tiny": (12, 60), "small": (120, 3_000), "medium": (2_000, 100_000), "large": (10_000, 1_000_000)}


def _db(args, user: str | None = None):
    """Open an existing database: only init, demo and serve create one."""
    return open_database(args.db, user=user or args.user, create=False)


def cmd_init(args) -> int:
    path = resolve_path(args.db)
    existed = path.exists()
    open_database(path, user=args.user)
    print(f"Base de datos {'actualizada' if existed else 'creada'}: {path}")
    if not existed:
        print(f"Cree el primer superadministrador con: casetrack --db {path} users add USUARIO --role superadmin")
    return 0


def cmd_demo(args) -> int:
    clients, cases = DEMO_SIZES[args.size] if args.size else (args.clients, args.cases)
    path = resolve_path(args.db)
    db = open_database(path, user=args.user)
    counts = demo.generate(db, n_clients=clients, n_cases=cases, seed=args.seed, superadmins=tuple(args.superadmin))
    print(f"Datos de demostración en {path}: {counts['clients']} clientes, {counts['cases']} causas.")
    print("Usuarios de demostración: socia (superadmin), admin (admin), analista (usuario).")
    return 0


def cmd_users(args) -> int:
    if args.users_command == "add":
        db = _db(args)
        user = users.add_user(db, args.username, role=args.role, display_name=args.name, bootstrap=True)
        print(f"Usuario creado: {user['username']} ({user['role']})")
    elif args.users_command == "set-role":
        db = _db(args)
        active = None if args.active is None else args.active == "si"
        user = users.set_role(db, args.username, args.role, active=active)
        print(f"Usuario actualizado: {user['username']} ({user['role']}, {'activo' if user['active'] else 'inactivo'})")
    else:
        frame = users.list_users(_db(args))
        print(frame.to_string(index=False) if not frame.empty else "No hay usuarios.")
    return 0


def cmd_settings(args) -> int:
    db = _db(args)
    if args.key is None:
        for key, value in settings.get_settings(db).items():
            print(f"{key} = {value}")
    elif args.value is None:
        print(settings.get_settings(db)[args.key])
    else:
        print(f"{args.key} = {settings.set_setting(db, args.key, args.value)[args.key]}")
    return 0


def cmd_backup(args) -> int:
    db = _db(args)
    target = backup.backup(db, args.dest)
    print(f"Respaldo creado: {target}")
    return 0


def cmd_restore(args) -> int:
    path = resolve_path(args.db)
    kept = backup.restore(args.src, path, force=args.force, user=args.user)
    print(f"Base de datos restaurada en {path} desde {args.src}.")
    if kept:
        print(f"La base anterior quedó guardada en {kept}")
    return 0


def cmd_recount(args) -> int:
    fixed = case_counts.recount(_db(args))
    if fixed:
        print(f"Conteos corregidos para {fixed} cliente(s).")
    else:
        print("Los conteos de causas por cliente ya estaban correctos.")
    return 0


def _demo_superadmins() -> tuple[str, ...]:
    """Return who besides `socia` is superadmin in a new demo database: the OS login and the acting user.

    A demo user (socia, admin, analista) keeps its demo role, so that
    `CASETRACK_USER=analista` still shows the read-only view.
    """
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = ""
    names = dict.fromkeys(name for name in (login, current_username()) if name and name not in DEMO_USERS)
    return tuple(names)


def cmd_serve(args) -> int:
    path = resolve_path(args.db)
    # Only the default database is created with demo data. A path given by the user that
    # does not exist is more likely a typo than a wish for a demo firm.
    if not path.exists() and path.resolve() != DEFAULT_PATH.resolve():
        raise CasetrackError("db.missing", path=str(path))
    if not path.exists():
        print(f"Creando {path} con datos de demostración...")
        db = open_database(path, user=args.user)
        clients, cases = DEMO_SIZES["small"]
        extra = _demo_superadmins()
        demo.generate(db, n_clients=clients, n_cases=cases, superadmins=extra)
        also = f"; además {', '.join(extra)} como superadmin" if extra else ""
        print(f"Usuarios de demostración: socia (superadmin), admin (admin), analista (usuario){also}.")
    env = {**os.environ, "CASETRACK_DB": str(path.resolve())}
    url = f"http://127.0.0.1:{args.port}/"
    command = [
        sys.executable, "-m", "casetrack_nb.server", str(NOTEBOOKS),
        "--no-browser", f"--port={args.port}", "--Voila.ip=127.0.0.1",
        "--MappingKernelManager.cull_interval=60", "--MappingKernelManager.cull_idle_timeout=300",
        "--MappingKernelManager.cull_connected=False",
        "--show_tracebacks=False",
        f"--template={args.template}",
        "--theme=light",
    ]
    who = os.environ.get("CASETRACK_USER") or current_username()
    print(f"Tableros en {url}  (usuario: {who}; PID {os.getpid()}; Ctrl+C o kill {os.getpid()} para detener)")
    sys.stdout.flush()
    # Replace this process with the server, so that stopping this PID stops Voilà and its kernels.
    os.execve(sys.executable, command, env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casetrack", description="casetrack_nb: clientes y causas de un estudio jurídico.")
    parser.add_argument("--db", help="archivo DuckDB (por omisión $CASETRACK_DB o data/casetrack.duckdb)")
    parser.add_argument("--user", help="usuario que actúa (por omisión $CASETRACK_USER o el usuario del sistema)")
    parser.add_argument("--lang", choices=("es", "en"), default=None, help="idioma de los mensajes")
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="crear o actualizar la base de datos (sin usuarios)")
    init.set_defaults(func=cmd_init)

    demo_cmd = commands.add_parser("demo", help="llenar una base vacía con datos de demostración")
    demo_cmd.add_argument("--size", choices=tuple(DEMO_SIZES), help="tamaño predefinido (clientes/causas)")
    demo_cmd.add_argument("--clients", type=int, default=120, help="número de clientes")
    demo_cmd.add_argument("--cases", type=int, default=3000, help="número de causas")
    demo_cmd.add_argument("--seed", type=int, default=7, help="semilla (mismos datos con la misma semilla)")
    demo_cmd.add_argument("--superadmin", action="append", default=[], help="usuario extra con rol superadmin")
    demo_cmd.set_defaults(func=cmd_demo)

    users_cmd = commands.add_parser("users", help="usuarios y roles")
    users_sub = users_cmd.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="crear un usuario (el primero puede ser superadmin sin permisos previos)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=("superadmin", "admin", "usuario"))
    add.add_argument("--name", help="nombre para mostrar")
    set_role = users_sub.add_parser("set-role", help="cambiar el rol o desactivar un usuario")
    set_role.add_argument("username")
    set_role.add_argument("--role", choices=("superadmin", "admin", "usuario"))
    set_role.add_argument("--active", choices=("si", "no"))
    users_sub.add_parser("list", help="listar usuarios")
    users_cmd.set_defaults(func=cmd_users)

    settings_cmd = commands.add_parser("settings", help="ver o cambiar la configuración del estudio")
    settings_cmd.add_argument("key", nargs="?", choices=tuple(settings.DEFAULTS))
    settings_cmd.add_argument("value", nargs="?")
    settings_cmd.set_defaults(func=cmd_settings)

    backup_cmd = commands.add_parser("backup", help="copiar la base de datos a un archivo nuevo (con los tableros en uso)")
    backup_cmd.add_argument("dest", help="archivo de respaldo a crear; no debe existir")
    backup_cmd.set_defaults(func=cmd_backup)

    restore_cmd = commands.add_parser("restore", help="reemplazar la base de datos por un respaldo")
    restore_cmd.add_argument("src", help="archivo de respaldo creado con `casetrack backup`")
    restore_cmd.add_argument("--force", action="store_true", help="reemplazar una base existente (se guarda como .bak)")
    restore_cmd.set_defaults(func=cmd_restore)

    recount_cmd = commands.add_parser("recount", help="volver a contar las causas de cada cliente (tras cambios"
                                                     " hechos fuera de casetrack)")
    recount_cmd.set_defaults(func=cmd_recount)

    import_command.add_parser(commands)

    serve = commands.add_parser("serve", help="servir los tableros con Voilà en 127.0.0.1")
    serve.add_argument("--port", type=int, default=8866, help="puerto en 127.0.0.1 (por omisión 8866)")
    serve.add_argument("--template", default="lab", help="plantilla de Voilà (por omisión lab)")
    serve.set_defaults(func=cmd_serve)
    _add_common_options(parser)
    return parser


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    """Accept --db, --user and --lang after any subcommand too (`casetrack serve --db X`)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for subparser in action.choices.values():
            subparser.add_argument("--db", default=argparse.SUPPRESS, help="archivo DuckDB")
            subparser.add_argument("--user", default=argparse.SUPPRESS, help="usuario que actúa")
            subparser.add_argument("--lang", choices=("es", "en"), default=argparse.SUPPRESS, help="idioma")
            _add_common_options(subparser)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.lang:
        set_language(args.lang)
    args.user = args.user or current_username() or getpass.getuser()
    try:
        return args.func(args)
    except CasetrackError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
