namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>Which server the integration tests run on, in the order the fixture tries them.</summary>
public enum RedisServerKind
{
    /// <summary>The server named by the CACHESERIAL_REDIS environment variable (host:port, loopback only).</summary>
    Configured,

    /// <summary>A Redis container started through Testcontainers, because a Docker engine answered.</summary>
    Container,

    /// <summary>A <c>redis-server</c> found on PATH, started as a child process on a free loopback port.</summary>
    ChildProcess,

    /// <summary>An in-process Garnet server (Redis protocol): the fallback on a machine with nothing installed.</summary>
    Garnet,
}
