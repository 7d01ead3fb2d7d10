"""`hashstop submit`, `status`, `add` and `withdraw` against a really running service."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess

import pytest
from click.testing import CliRunner, Result

from hashstop.cli import main
from hashstop.client import collection
from hashstop.hashing import hash_file, local_hashes, photo_variants
from hashstop.hashing.variants import as_rgb, pdq_dihedral
from tests.client.conftest import (
    HASHSTOP,
    SMALL_JPEG,
    LiveService,
    free_port,
    receipt_of,
    write_scene,
)
from tests.client.flaky_proxy import RunningProxy

CASE_LINE = re.compile(r"Case ID:\s+([0-9a-z]+)")
SECRET_LINE = re.compile(r"Secret:\s+(hsc_[0-9A-Z-]+)")


def run(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def submitted(result: Result) -> tuple[str, str]:
    assert result.exit_code == 0, result.output
    case, secret = CASE_LINE.search(result.stdout), SECRET_LINE.search(result.stdout)
    assert case and secret, result.stdout
    return case.group(1), secret.group(1)


def one_error_line(result: Result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def fingerprints_of_photo(path) -> int:
    """What a client sends for one photo: its stored PDQ variants, its local hashes (none for a
    photo too flat for variants), pHash, MD5 and SHA-256."""
    variants = photo_variants(path)
    return len(variants) + (len(local_hashes(path)) if variants else 0) + 3


def test_submit_status_add_withdraw(live_service: LiveService, data_dir, mixed_folder, tmp_path):
    photo = hash_file(mixed_folder / "holiday" / "one.png")
    video = hash_file(mixed_folder / "clip.mp4")
    assert photo.pdq is not None and video.pdq is None
    assert not live_service.matches("pdq", photo.pdq.hex)
    photos = [mixed_folder / "holiday" / "one.png", mixed_folder / "holiday" / "day 2" / "two.jpg"]
    sent = sum(fingerprints_of_photo(p) for p in photos) + 2 * 2  # 2 other files x 2
    assert sent > 2 * 4 + 2 * 2 + 10  # the variants are there
    mirrored = pdq_dihedral(as_rgb(photos[0])[:, ::-1])[0][0].hex
    assert not live_service.matches("pdq", mirrored)

    result = run("submit", str(mixed_folder), "--server", live_service.url, "--yes")
    case_id, secret = submitted(result)
    out = result.stdout
    assert "damaged.jpg" in out and "left out" in out
    assert re.search(r"photos:\s+2\b", out) and re.search(r"other files:\s+2\b", out)
    assert re.search(rf"fingerprints:\s+{sent}\b", out)
    assert "keep the case ID and the secret" in out
    assert str(data_dir / "receipts" / f"{case_id}.json") in out

    receipt = receipt_of(data_dir, case_id)
    assert receipt["case_id"] == case_id and receipt["secret"] == secret
    assert receipt["server"] == live_service.url and receipt["created_at"]
    assert (receipt["photos"], receipt["other_files"], receipt["fingerprints_kept"]) == (2, 2, sent)
    assert "one.png" not in json.dumps(receipt) and photo.pdq.hex not in json.dumps(receipt)

    # The platform side: the photo and the video now match.
    assert live_service.matches("pdq", photo.pdq.hex)
    assert live_service.matches("md5", video.md5.hex)
    # A mirrored re-post, hashed with plain PDQ, matches through the stored "mirror" variant.
    assert live_service.matches("pdq", mirrored)

    status = run("status", case_id)
    assert status.exit_code == 0, status.output
    assert f"Case {case_id}: active" in status.stdout
    assert f"4 photos or files, {sent} fingerprints" in status.stdout
    assert secret not in status.output

    extra = write_scene(tmp_path / "later.png", 99)
    added = run("add", case_id, str(extra), str(mixed_folder / "note.txt"), "--yes")
    assert added.exit_code == 0, added.output
    later = fingerprints_of_photo(extra)
    assert (
        f"Added {later} new fingerprints" in added.stdout
        and "2 fingerprints were already" in added.stdout
    )
    assert f"5 photos or files, {sent + later} fingerprints" in run("status", case_id).stdout

    withdrawn = run("withdraw", case_id, "--yes")
    assert withdrawn.exit_code == 0, withdrawn.output
    assert "is withdrawn" in withdrawn.stdout
    assert f"Case {case_id}: withdrawn" in run("status", case_id).stdout
    assert not live_service.matches("pdq", photo.pdq.hex)
    assert not live_service.matches("pdq", mirrored)
    assert not live_service.matches("md5", video.md5.hex)


def test_receipts_are_private_even_with_a_permissive_umask(live_service, data_dir, tmp_path):
    old = os.umask(0)
    try:
        case_id, _ = submitted(
            run(
                "submit",
                str(write_scene(tmp_path / "a.png", 3)),
                "--server",
                live_service.url,
                "-y",
            )
        )
    finally:
        os.umask(old)
    folder = data_dir / "receipts"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / f"{case_id}.json").stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == [f"{case_id}.json"]  # no temporary file left


def test_answering_no_sends_nothing(live_service, data_dir, mixed_folder):
    with RunningProxy(live_service.url) as proxy:
        result = run("submit", str(mixed_folder), "--server", proxy.url, input="n\n")
        assert proxy.seen == []
    assert result.exit_code == 1 and "Nothing was sent." in result.stdout
    assert "Send these fingerprints now? [y/N]" in result.stdout
    assert not (data_dir / "receipts").exists()


def test_withdraw_asks_first_and_yes_skips_the_question(live_service, data_dir, tmp_path):
    image = write_scene(tmp_path / "b.png", 4)
    case_id, _ = submitted(run("submit", str(image), "--server", live_service.url, "--yes"))
    kept = run("withdraw", case_id, input="n\n")
    assert kept.exit_code == 1 and "Nothing was changed." in kept.stdout
    assert "cannot be undone" in kept.stdout
    assert f"Case {case_id}: active" in run("status", case_id).stdout
    done = run("withdraw", case_id, input="y\n")
    assert done.exit_code == 0 and f"Case {case_id}: withdrawn" in run("status", case_id).stdout


def test_a_server_that_is_down_is_one_clear_line_and_no_receipt(data_dir, tmp_path):
    image = write_scene(tmp_path / "c.png", 5)
    result = run("submit", str(image), "--server", f"http://127.0.0.1:{free_port()}", "--yes")
    line = one_error_line(result)
    assert "could not reach the server" in line and "Nothing was sent" in line
    assert not (data_dir / "receipts").exists()


@pytest.mark.parametrize("fault", ["fail:500", "after:500", "fail:503"])
def test_a_failed_answer_is_retried_and_opens_exactly_one_case(
    live_service, data_dir, tmp_path, fault
):
    """`after:500`: the service opened the case and the answer was lost; the retry replays it."""
    image = write_scene(tmp_path / "d.png", 6)
    before = live_service.count_cases()
    with RunningProxy(live_service.url) as proxy:
        proxy.fail("POST", "/v1/cases", fault)
        case_id, secret = submitted(run("submit", str(image), "--server", proxy.url, "--yes"))
        posts = proxy.requests("POST", "/v1/cases")
    assert len(posts) == 2
    keys = {p.headers["Idempotency-Key"] for p in posts}
    assert len(keys) == 1 and re.fullmatch(r"[A-Za-z0-9_-]{43}", keys.pop())
    assert posts[0].body == posts[1].body
    assert live_service.count_cases() == before + 1
    assert receipt_of(data_dir, case_id)["secret"] == secret
    assert f"Case {case_id}: active" in run("status", case_id, "--server", live_service.url).stdout


def test_refusals_are_not_retried_and_say_what_the_server_said(live_service, data_dir):
    wrong = "hsc_AAAAA-AAAAA-AAAAA-AAAAA-AAAAA"
    with RunningProxy(live_service.url) as proxy:
        result = run("status", "abcdefghjk", "--secret", wrong, "--server", proxy.url)
        assert len(proxy.requests("GET", "/v1/cases/")) == 1
    line = one_error_line(result)
    assert "the server refused: no case with this id for this secret" in line
    assert wrong not in result.output


def test_bad_paths_stop_before_anything_is_read_or_sent(live_service, data_dir, tmp_path):
    image = write_scene(tmp_path / "e.png", 8)
    with RunningProxy(live_service.url) as proxy:
        result = run("submit", str(image), str(tmp_path / "no-such"), "--server", proxy.url, "-y")
        assert proxy.seen == []
    assert result.exit_code == 2
    assert "no such file or folder" in one_error_line(result) and "no-such" in result.stderr


def test_a_folder_with_nothing_readable_sends_nothing(live_service, data_dir, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "cut.jpg").write_bytes(SMALL_JPEG.read_bytes()[:2500])
    result = run("submit", str(folder), "--server", live_service.url, "--yes")
    assert "none of these files could be read" in one_error_line(result)
    assert "empty.jpg" in result.stdout and "cut.jpg" in result.stdout


def test_no_receipt_needs_the_secret_from_an_option_or_the_environment(
    live_service, data_dir, tmp_path, monkeypatch
):
    image = write_scene(tmp_path / "f.png", 9)
    case_id, secret = submitted(run("submit", str(image), "--server", live_service.url, "-y"))
    (data_dir / "receipts" / f"{case_id}.json").unlink()
    missing = run("status", case_id, "--server", live_service.url)
    assert "no saved receipt for case" in one_error_line(missing)
    given = run("status", case_id, "--server", live_service.url, "--secret", secret)
    assert f"Case {case_id}: active" in given.stdout
    monkeypatch.setenv("HASHSTOP_CASE_SECRET", secret)
    monkeypatch.setenv("HASHSTOP_SERVER", live_service.url)
    assert f"Case {case_id}: active" in run("status", case_id).stdout


def test_damaged_receipts_are_reported_and_the_others_still_shown(live_service, data_dir, tmp_path):
    image = write_scene(tmp_path / "g.png", 10)
    good, _ = submitted(run("submit", str(image), "--server", live_service.url, "-y"))
    folder = data_dir / "receipts"
    (folder / "zzzbroken.json").write_text("{not json")
    (folder / "zzzpartial.json").write_text(json.dumps({"case_id": "zzzpartial"}))
    (folder / "zzzfolder.json").mkdir()
    result = run("status")
    assert f"Case {good}: active" in result.stdout
    assert "zzzbroken.json is damaged" in result.stderr
    assert "zzzpartial.json is damaged" in result.stderr
    assert "cannot read the receipt" in result.stderr
    assert "3 of 4 saved cases could not be checked" in one_error_line(result)
    assert "damaged" in one_error_line(run("status", "zzzbroken"))


def test_status_without_receipts_or_a_valid_case_id(data_dir):
    assert "no saved cases on this computer" in one_error_line(run("status"))
    assert "is not a case ID" in one_error_line(run("status", "../../etc/passwd"))


def test_the_default_server_is_announced_and_a_bad_address_refused(data_dir, tmp_path):
    image = write_scene(tmp_path / "h.png", 11)
    declined = run("submit", str(image), input="n\n")
    assert "using http://127.0.0.1:8000" in declined.stderr
    assert "Nothing was sent." in declined.stdout
    bad = run("submit", str(image), "--server", "127.0.0.1:8000", "--yes")
    assert "is not a server address" in one_error_line(bad)


def test_many_files_go_in_several_requests_and_one_case(
    live_service, data_dir, tmp_path, monkeypatch
):
    monkeypatch.setattr(collection, "HASHES_PER_REQUEST", 6)
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(7):
        (folder / f"file{i}.bin").write_bytes(os.urandom(100))
    with RunningProxy(live_service.url) as proxy:
        case_id, _ = submitted(run("submit", str(folder), "--server", proxy.url, "--yes"))
        assert len(proxy.requests("POST", "/v1/cases")) == 3  # 1 opens, 2 add (3 files per request)
    status = run("status", case_id, "--server", live_service.url)
    assert "7 photos or files, 14 fingerprints" in status.stdout
    assert receipt_of(data_dir, case_id)["fingerprints_kept"] == 14


def test_the_installed_script_registers_checks_and_withdraws(live_service, data_dir, mixed_folder):
    env = dict(os.environ) | {"HASHSTOP_SERVER": live_service.url}

    def hashstop(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [HASHSTOP, *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert "Traceback" not in done.stdout + done.stderr
        return done

    opened = hashstop("submit", str(mixed_folder), "--yes")
    assert opened.returncode == 0, opened.stderr
    case_id = CASE_LINE.search(opened.stdout)
    assert case_id is not None
    listed = hashstop("status")
    assert listed.returncode == 0 and f"Case {case_id.group(1)}: active" in listed.stdout
    withdrawn = hashstop("withdraw", case_id.group(1), "--yes")
    assert withdrawn.returncode == 0 and "is withdrawn" in withdrawn.stdout
    refused = hashstop("add", case_id.group(1), str(mixed_folder), "--yes")
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("Error: the server refused: this case was withdrawn")
    assert len(refused.stderr.strip().splitlines()) == 1


def test_a_video_is_registered_as_one_item_and_its_frames_match(
    live_service: LiveService, data_dir, tmp_path
):
    import io

    import av
    import numpy as np

    from hashstop.hashing import pdq_from_rgb
    from hashstop.hashing.video import frame_hashes
    from tests.hashing.synthetic_video import encode, moving_texture

    folder = tmp_path / "video"
    folder.mkdir()
    clip = encode(40, rate=10, maker=moving_texture(160, 120, seed=3), width=160, height=120)
    (folder / "clip.mp4").write_bytes(clip)
    hashes = hash_file(folder / "clip.mp4")
    frames = frame_hashes(hashes.vpdq or ())
    assert len(frames) >= 3

    case_id, _secret = submitted(run("submit", str(folder), "--server", live_service.url, "--yes"))
    sent = len(frames) + 2
    assert f"1 photo or file, {sent} fingerprints" in run("status", case_id).stdout
    assert live_service.matches("sha256", hashes.sha256.hex)
    # A screenshot of a kept frame (decoded again, hashed as a still image) matches.
    with av.open(io.BytesIO(clip), mode="r") as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    still = np.asarray(decoded[10], dtype=np.uint8)
    shot, _quality = pdq_from_rgb(still)
    assert live_service.matches("pdq", shot.hex)

    assert run("withdraw", case_id, "--yes").exit_code == 0
    assert not live_service.matches("pdq", shot.hex)
    assert not live_service.matches("sha256", hashes.sha256.hex)
