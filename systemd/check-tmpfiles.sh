#!/bin/sh
# ctest systemd.sysusers-tmpfiles: applies hallwatch.sysusers and hallwatch.tmpfiles to an empty
# root folder and checks that the user exists and owns /var/lib/hallwatch{,/footage} with 0750.
# Exit 77 (skip) without the tools or without root (tmpfiles must chown to the new user).
src="$1"
for tool in systemd-sysusers systemd-tmpfiles; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not found"
    exit 77
  fi
done
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root (systemd-tmpfiles chowns to the hallwatch user)"
  exit 77
fi
root=$(mktemp -d) || exit 1
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc"
systemd-sysusers --root="$root" "$src/hallwatch.sysusers" || exit 1
systemd-tmpfiles --root="$root" --create "$src/hallwatch.tmpfiles" || exit 1
uid=$(awk -F: '$1 == "hallwatch" { print $3 }' "$root/etc/passwd")
home=$(awk -F: '$1 == "hallwatch" { print $6 }' "$root/etc/passwd")
[ -n "$uid" ] || { echo "FAIL: no hallwatch user in $root/etc/passwd"; exit 1; }
[ "$home" = /var/lib/hallwatch ] || { echo "FAIL: home is '$home'"; exit 1; }
for d in var/lib/hallwatch var/lib/hallwatch/footage; do
  got=$(stat -c '%a %u' "$root/$d") || exit 1
  [ "$got" = "750 $uid" ] || { echo "FAIL: /$d is '$got', want '750 $uid'"; exit 1; }
done
echo "OK: user hallwatch ($uid) owns /var/lib/hallwatch and footage/ with mode 0750"
