using System.Net.Sockets;
using CacheSerial.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// The fault proxy in front of the fixture's server: each mode does what chaos tests rely on. Outcomes only; the
/// timeouts are upper bounds that keep a broken proxy from hanging the run, and short probe timeouts are used only where
/// no answer is possible in the mode under test.
/// </summary>
public sealed class TcpFaultProxyTests(RedisFixture redis)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    // In Blackhole/Refuse/Reset no PING can be answered, so a short probe cannot give a false "answered".
    private static readonly TimeSpan NoAnswerProbe = TimeSpan.FromMilliseconds(500);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Start_NonLoopbackTarget_Throws()
    {
        // 192.0.2.0/24 is TEST-NET-1; the proxy refuses before any traffic.
        Assert.Throws<ArgumentException>(() => TcpFaultProxy.Start("192.0.2.1", 6379));
    }

    [Fact]
    public async Task Ping_Pass_ForwardsAndCountsBytes()
    {
        await using var proxy = StartProxy();

        Assert.True(await LoopbackProbe.PingAsync(proxy.Host, proxy.Port, Bound, Ct));
        Assert.True(await LoopbackProbe.PingAsync(proxy.Host, proxy.Port, Bound, Ct));

        Assert.Equal(ProxyMode.Pass, proxy.Mode);
        Assert.Equal(2, proxy.ConnectionsAccepted);
        Assert.Equal(2 * "*1\r\n$4\r\nPING\r\n".Length, proxy.BytesToTarget);
        Assert.Equal(2 * "+PONG\r\n".Length, proxy.BytesToClient);
    }

    [Fact]
    public async Task Ping_Blackhole_HangsUntilPassThenDelivers()
    {
        await using var proxy = StartProxy();
        await using var existing = await RespConnection.ConnectAsync(proxy.Host, proxy.Port, Ct);
        Assert.True(await existing.PingAsync(Ct).WaitAsync(Bound, Ct));

        await proxy.SetModeAsync(ProxyMode.Blackhole, Ct);
        var held = existing.PingAsync(Ct);

        // A new connection is accepted but its PING is never answered: the client's own timeout ends it.
        Assert.False(await LoopbackProbe.PingAsync(proxy.Host, proxy.Port, NoAnswerProbe, Ct));
        Assert.False(held.IsCompleted, "a PING on an existing connection was answered through a blackhole");
        Assert.Equal(2, proxy.ConnectionsAccepted);

        await proxy.SetModeAsync(ProxyMode.Pass, Ct);

        Assert.True(await held.WaitAsync(Bound, Ct), "the held PING was not delivered after the blackhole ended");
        Assert.True(await LoopbackProbe.PingAsync(proxy.Host, proxy.Port, Bound, Ct));
    }

    [Fact]
    public async Task Ping_Reset_PendingCommandSeesResetAndNewConnectionsFail()
    {
        await using var proxy = StartProxy();
        await using var existing = await RespConnection.ConnectAsync(proxy.Host, proxy.Port, Ct);
        Assert.True(await existing.PingAsync(Ct).WaitAsync(Bound, Ct));
        await proxy.SetModeAsync(ProxyMode.Blackhole, Ct);
        var pending = existing.PingAsync(Ct); // waiting for a reply when the reset comes: an RST, not a clean close, fails it

        await proxy.SetModeAsync(ProxyMode.Reset, Ct);

        AssertConnectionReset(await Record.ExceptionAsync(() => pending.WaitAsync(Bound, Ct)));
        Assert.False(await LoopbackProbe.PingAsync(proxy.Host, proxy.Port, Bound, Ct));

        await proxy.SetModeAsync(ProxyMode.Pass, Ct);
        Assert.True(await LoopbackProbe.PingAsync(proxy.Host, proxy.Port, Bound, Ct));
    }

    [Fact]
    public async Task RedisClient_Reset_SeesConnectionErrorThenReconnectsAfterPass()
    {
        await using var proxy = StartProxy();
        await using var client = await FaultRedisClient.ConnectAsync(proxy);
        await client.Database.PingAsync().WaitAsync(Bound, Ct);

        await proxy.SetModeAsync(ProxyMode.Reset, Ct);

        // A PING already on its way may still be answered while the reset reaches the client's socket: try a few times
        // (bounded). The client reports a reset as a connection error, or cancels the messages the broken connection
        // was carrying (TaskCanceledException, not caused by the test's token).
        Exception? error = null;
        for (var i = 0; i < 50 && error is null; i++)
        {
            error = await Record.ExceptionAsync(() => client.Database.PingAsync().WaitAsync(Bound, Ct));
        }

        Assert.True(
            error is RedisConnectionException || (error is OperationCanceledException && !Ct.IsCancellationRequested),
            $"expected a connection error, got {error?.GetType().Name ?? "none"}");

        await proxy.SetModeAsync(ProxyMode.Pass, Ct);
        await client.PingUntilAnsweredAsync(Bound, Ct);
    }

    [Fact]
    public async Task Connect_Refuse_IsRefusedAndPassListensAgainOnSamePort()
    {
        await using var proxy = StartProxy();
        var port = proxy.Port;
        await using var existing = await RespConnection.ConnectAsync(proxy.Host, port, Ct);
        Assert.True(await existing.PingAsync(Ct).WaitAsync(Bound, Ct));

        await proxy.SetModeAsync(ProxyMode.Refuse, Ct);

        var refused = await Assert.ThrowsAsync<SocketException>(() => RespConnection.ConnectAsync(proxy.Host, port, Ct).WaitAsync(Bound, Ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        AssertConnectionReset(await Record.ExceptionAsync(() => existing.PingAsync(Ct).WaitAsync(Bound, Ct)));

        await proxy.SetModeAsync(ProxyMode.Pass, Ct);

        Assert.Equal(port, proxy.Port);
        Assert.True(await LoopbackProbe.PingAsync(proxy.Host, port, Bound, Ct));
    }

    [Fact]
    public async Task SetModeAsync_RefuseThenBlackhole_AcceptsButHoldsUntilPass()
    {
        await using var proxy = StartProxy();
        await proxy.SetModeAsync(ProxyMode.Refuse, Ct);

        await proxy.SetModeAsync(ProxyMode.Blackhole, Ct);
        await using var connection = await RespConnection.ConnectAsync(proxy.Host, proxy.Port, Ct);
        var held = connection.PingAsync(Ct);
        Assert.False(await LoopbackProbe.PingAsync(proxy.Host, proxy.Port, NoAnswerProbe, Ct));
        Assert.False(held.IsCompleted, "a PING was answered through a blackhole");

        await proxy.SetModeAsync(ProxyMode.Pass, Ct);

        Assert.True(await held.WaitAsync(Bound, Ct), "the held PING was not delivered after the blackhole ended");
    }

    [Fact]
    public async Task SetAndGet_Latency_ForwardsEveryByte()
    {
        await using var proxy = StartProxy();
        proxy.Latency = TimeSpan.FromMilliseconds(20);
        await using var client = await FaultRedisClient.ConnectAsync(proxy, configure: o => o.SyncTimeout = o.AsyncTimeout = 20_000);
        var value = new byte[256 * 1024]; // many proxy chunks in each direction
        Random.Shared.NextBytes(value);
        var key = $"{nameof(TcpFaultProxyTests)}:{Guid.NewGuid():N}";

        await client.Cache.SetAsync(key, value, new(), Ct);
        var read = await client.Cache.GetAsync(key, Ct);
        await client.Cache.RemoveAsync(key, Ct);

        Assert.Equal(value, read);
        Assert.True(proxy.BytesToTarget > value.Length, $"{proxy.BytesToTarget} bytes forwarded to the server");
        Assert.True(proxy.BytesToClient > value.Length, $"{proxy.BytesToClient} bytes forwarded to the client");
    }

    [Fact]
    public async Task DisposeAsync_BlackholedConnection_EndsItsPendingCommand()
    {
        var proxy = StartProxy();
        await using var existing = await RespConnection.ConnectAsync(proxy.Host, proxy.Port, Ct);
        await proxy.SetModeAsync(ProxyMode.Blackhole, Ct);
        var held = existing.PingAsync(Ct);

        await proxy.DisposeAsync().AsTask().WaitAsync(Bound, Ct);

        Assert.NotNull(await Record.ExceptionAsync(() => held.WaitAsync(Bound, Ct)));
        Assert.Equal(0, proxy.OpenConnections);
        Assert.False(await LoopbackProbe.PingAsync(proxy.Host, proxy.Port, NoAnswerProbe, Ct));
    }

    /// <summary>The peer reset the connection (not a clean close, not a timeout).</summary>
    private static void AssertConnectionReset(Exception? error)
    {
        var socketError = error switch
        {
            SocketException direct => direct,
            IOException { InnerException: SocketException inner } => inner,
            _ => null,
        };
        Assert.True(
            socketError?.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted,
            $"expected a connection reset, got {error?.GetType().Name ?? "no error"}: {error?.Message}");
    }

    private TcpFaultProxy StartProxy()
    {
        Assert.True(LoopbackProbe.TryParseEndpoint(redis.Endpoint, out var host, out var port));
        return TcpFaultProxy.Start(host, port);
    }
}
