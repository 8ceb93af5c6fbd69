import pytest

from jobs.settings import SettingsError, resolve_settings


def test_order_flags_env_file_defaults(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('db_url = "sqlite:///file.sqlite"\nredis_prefix = "fromfile"\nfeed_file = "f.json"\n'
                   '[detect]\ntop_n = 4\nmin_authors = 7\n')
    env = {"ISSUEWIRE_REDIS_PREFIX": "fromenv", "ISSUEWIRE_DETECT__MIN_AUTHORS": "5", "HOME": "/x"}
    s = resolve_settings({"db_url": "sqlite:///flag.sqlite", "feed_file": None}, env, cfg)
    assert s.db_url == "sqlite:///flag.sqlite"        # flag beats env and file
    assert s.redis_prefix == "fromenv"                # env beats file
    assert s.detect.min_authors == 5 and s.detect.top_n == 4
    assert s.feed_file == "f.json"                    # a flag given as None is not given
    assert s.extract.top_k == resolve_settings().extract.top_k   # defaults otherwise


def test_config_file_from_environment(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[title]\nmin_count = 9\n")
    assert resolve_settings({}, {"ISSUEWIRE_CONFIG": str(cfg)}).title.min_count == 9


@pytest.mark.parametrize("env,message", [
    ({"ISSUEWIRE_DETECT__TOP_N": "six"}, "environment detect.top_n: 'six' is not a valid int"),
    ({"ISSUEWIRE_NOPE": "1"}, "environment: unknown setting 'nope'"),
    ({"ISSUEWIRE_DETECT__NOPE": "1"}, "unknown setting detect.nope"),
])
def test_bad_settings_say_where(env, message):
    with pytest.raises(SettingsError, match=message):
        resolve_settings({}, env)


def test_bad_toml_names_the_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[detect\n")
    with pytest.raises(SettingsError, match="c.toml"):
        resolve_settings({}, {}, cfg)


def test_settings_are_frozen():
    s = resolve_settings()
    with pytest.raises(Exception):
        s.db_url = "x"


@pytest.mark.parametrize("where,value,message", [
    ("posts_mapping", "knwes", "posts_mapping 'knwes' is unknown; known: community_json, contract, knews"),
    ("timezone", "KST", "timezone 'KST' is not an IANA time zone such as Asia/Seoul or UTC"),
    ("post_time_floor", "2000-01-01", "post_time_floor '2000-01-01' is not an ISO 8601 time with an offset"),
    ("post_time_floor", "long ago", "post_time_floor 'long ago' is not an ISO 8601 time with an offset"),
])
def test_a_setting_that_names_something_must_name_a_thing_that_exists(where, value, message):
    with pytest.raises(SettingsError, match=message):
        resolve_settings({}, {f"ISSUEWIRE_{where.upper()}": value})
    assert getattr(resolve_settings({where: None}, {}), where) != value


def test_a_settings_error_is_an_input_error_exit_2():
    from jobs.errors import EXIT_INPUT, InputError, exit_code

    assert issubclass(SettingsError, InputError) and issubclass(SettingsError, ValueError)
    assert exit_code(SettingsError("x")) == EXIT_INPUT


def test_the_commands_resolve_through_one_function(tmp_path):
    """``settings_from_args`` is what every command (and the recommender's) calls: flags > env > file."""
    import argparse

    from jobs.cli.options import settings_from_args

    cfg = tmp_path / "c.toml"
    cfg.write_text('redis_prefix = "file"\nredis_url = "redis://file:6379/0"\ntimezone = "UTC"\n')
    args = argparse.Namespace(config=str(cfg), redis_url="redis://flag:6379/0", redis_prefix=None, hour="x")
    s = settings_from_args(args, environ={"ISSUEWIRE_REDIS_PREFIX": "env", "ISSUEWIRE_REDIS_URL": "redis://env"})
    assert (s.redis_url, s.redis_prefix, s.timezone) == ("redis://flag:6379/0", "env", "UTC")
