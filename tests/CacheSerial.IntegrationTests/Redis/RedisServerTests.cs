using CacheSerial.IntegrationTests.Infrastructure;

namespace CacheSerial.IntegrationTests.Redis;

/// <summary>The fixture's server: loopback, answering, and the kind it says it is (a real Redis when one is required).</summary>
public sealed class RedisServerTests(RedisFixture redis) : RedisTestBase(redis)
{
    [Fact]
    public async Task Ping_FixtureServer_AnswersOnLoopback()
    {
        var latency = await Database.PingAsync();

        Assert.True(latency >= TimeSpan.Zero);
        Assert.True(LoopbackProbe.TryParseEndpoint(Redis.Endpoint, out var host, out _));
        Assert.True(LoopbackProbe.IsLoopback(host), $"{Redis.Endpoint} is not a loopback address");
    }

    [Fact]
    public void Info_FixtureServer_MatchesTheChosenKind()
    {
        Assert.True(Redis.ServerInfo.ContainsKey("redis_version"), "INFO server has no redis_version");
        Assert.Equal(Redis.Kind == RedisServerKind.Garnet, Redis.ServerInfo.ContainsKey("garnet_version"));
        Assert.Contains(Redis.Endpoint, Redis.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_RedisRequired_ServerIsRealRedisNotGarnet()
    {
        // CI exports CACHESERIAL_REQUIRE_REDIS=1, so this runs there; a developer's run without it may fall back to Garnet.
        // Its skip reason is also where a plain `dotnet test` shows the chosen server (the SDK hides a passing app's console).
        Assert.SkipUnless(
            RedisFixture.RedisRequired,
            $"{RedisFixture.RequireRedisVariable} is not set, so any Redis-protocol server will do. This run: {Redis.Description}");

        Assert.NotEqual(RedisServerKind.Garnet, Redis.Kind);
        Assert.False(Redis.ServerInfo.ContainsKey("garnet_version"), "the server reports garnet_version");
        Assert.Matches(@"^\d+\.\d+\.\d+", Redis.ServerInfo["redis_version"]);
        Assert.True(Redis.ServerInfo.ContainsKey("redis_mode"), "INFO server has no redis_mode");
    }
}
