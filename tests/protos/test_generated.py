from protos import generate


def test_checked_in_modules_match_their_protos():
    assert generate.proto_files(), "no .proto files found"
    assert generate.stale_modules() == [], "generated modules are stale: run python -m protos.generate"
