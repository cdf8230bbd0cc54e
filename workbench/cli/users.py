"""``workbench users add|list|remove|passwd``, ``workbench login|logout|whoami``."""

from __future__ import annotations

import argparse
import getpass
import json

from workbench.cli._output import print_table

PASSWORD_FILE_HELP = ("read the password from the first line of this file (mode 0600) "
                      "instead of prompting")


def register(subparsers: argparse._SubParsersAction) -> None:
    users = subparsers.add_parser(
        "users", help="the users of a case and their roles (admins only)",
        description="Roles: analyst (decide review items, reveal images), supervisor (open "
        "the dashboard), admin (manage users). A case with no users is open to whoever can "
        "write its folder; its first user must be an admin.")
    sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a user (asks for the password twice)")
    add.add_argument("case_dir")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True,
                     choices=["analyst", "supervisor", "admin"],
                     help="a role; repeat for several")
    add.add_argument("--password-file", help=PASSWORD_FILE_HELP)
    add.set_defaults(handler=_add)
    listing = sub.add_parser("list", help="users and their roles")
    listing.add_argument("case_dir")
    listing.add_argument("--json", action="store_true", help="JSON lines")
    listing.set_defaults(handler=_list)
    remove = sub.add_parser("remove", help="remove a user and end their sessions")
    remove.add_argument("case_dir")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)
    passwd = sub.add_parser("passwd", help="change a password (an admin, or your own)")
    passwd.add_argument("case_dir")
    passwd.add_argument("name")
    passwd.add_argument("--password-file", help=PASSWORD_FILE_HELP)
    passwd.set_defaults(handler=_passwd)

    login = subparsers.add_parser(
        "login", help="log in to a case: a session for later commands and notebooks",
        description="Checks the password and writes a session token to a file only your "
        "account can read (~/.workbench/sessions, mode 0600); later commands and notebooks "
        "on this account act as that user until it expires or `workbench logout`.")
    login.add_argument("case_dir")
    login.add_argument("--user", default=None, help="user name (default: your account name)")
    login.add_argument("--hours", type=float, default=8.0, help="session length (default 8)")
    login.add_argument("--password-file", help=PASSWORD_FILE_HELP)
    login.set_defaults(handler=_login)
    logout = subparsers.add_parser("logout", help="end your session on a case")
    logout.add_argument("case_dir")
    logout.set_defaults(handler=_logout)
    whoami = subparsers.add_parser("whoami", help="who you act as on a case, and your roles")
    whoami.add_argument("case_dir")
    whoami.set_defaults(handler=_whoami)


def _password(args: argparse.Namespace, prompt: str, confirm: bool) -> str:
    from workbench.auth.passwords import PasswordError, read_password_file

    if args.password_file:
        return read_password_file(args.password_file)
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != first:
        raise PasswordError("the two passwords differ; nothing was changed")
    return first


def _add(args: argparse.Namespace) -> int:
    from workbench.auth import add_user
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        case.actor()  # refuse before asking for a password, when not allowed
        from workbench.auth.identity import required_role

        role = required_role("users.add", args.name, case.actor())
        if role and not case.actor().has(role):
            from workbench.auth import PermissionDenied

            raise PermissionDenied(f"adding users needs the admin role; you are "
                                   f"{case.actor().name}: log in with `workbench login`")
        user = add_user(case, args.name, _password(args, f"New password for {args.name}: ",
                                                   True), args.role)
    print(f"added {user.name} ({', '.join(user.roles)}) to {args.case_dir}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from workbench.auth import list_users
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        users = list_users(case)
    if args.json:
        for user in users:
            print(json.dumps({"name": user.name, "roles": list(user.roles),
                              "created_at": user.created_at, "created_by": user.created_by}))
        return 0
    if not users:
        print("(no users: the case is open to whoever can write its folder)")
        return 0
    print_table([{"name": u.name, "roles": ", ".join(u.roles), "created": u.created_at[:19],
                  "by": u.created_by} for u in users], ["name", "roles", "created", "by"])
    return 0


def _remove(args: argparse.Namespace) -> int:
    from workbench.auth import remove_user
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        remove_user(case, args.name)
    print(f"removed {args.name}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from workbench.auth import set_password
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        set_password(case, args.name, _password(args, f"New password for {args.name}: ", True))
    print(f"password of {args.name} changed; their sessions are ended")
    return 0


def _login(args: argparse.Namespace) -> int:
    from workbench.auth import login
    from workbench.auth.identity import os_account, session_file
    from workbench.store import Case

    name = args.user or os_account()
    with Case.open(args.case_dir) as case:
        actor = login(case, name, _password(args, f"Password for {name}: ", False), args.hours)
        where = session_file(case)
    print(f"logged in to {args.case_dir} as {actor.name} ({', '.join(actor.roles)}) for "
          f"{args.hours:g} h; session in {where}")
    return 0


def _logout(args: argparse.Namespace) -> int:
    from workbench.auth import logout
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        ended = logout(case)
    print("logged out" if ended else "no session to end")
    return 0


def _whoami(args: argparse.Namespace) -> int:
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        actor = case.actor()
    print(f"{actor.name} ({actor.how}): roles {', '.join(actor.roles) or 'none'}")
    return 0
