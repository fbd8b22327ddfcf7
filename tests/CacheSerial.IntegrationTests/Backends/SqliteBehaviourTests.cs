using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Codecs;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.IntegrationTests.Backends;

// The shared behaviour suites on NeoSmart's SqliteCache over a temporary database file. One line per suite.
public sealed class SqliteTypedCacheBehaviourTests(SqliteFixture sqlite) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteExpirationBehaviourTests(SqliteFixture sqlite) : ExpirationBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteSlidingExpirationBehaviourTests(SqliteFixture sqlite) : SlidingExpirationBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteEnvelopeTamperingBehaviourTests(SqliteFixture sqlite) : EnvelopeTamperingBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteKeyBehaviourTests(SqliteFixture sqlite) : KeyBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqlitePayloadLimitBehaviourTests(SqliteFixture sqlite) : PayloadLimitBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteStoreFailureBehaviourTests(SqliteFixture sqlite) : StoreFailureBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteLogPrivacyBehaviourTests(SqliteFixture sqlite) : LogPrivacyBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteStampedeBehaviourTests(SqliteFixture sqlite) : StampedeBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteFailSafeBehaviourTests(SqliteFixture sqlite) : FailSafeBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteBulkBehaviourTests(SqliteFixture sqlite) : BulkBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteAdaptiveCachingBehaviourTests(SqliteFixture sqlite) : AdaptiveCachingBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

public sealed class SqliteStoreLifetimeBehaviourTests(SqliteFixture sqlite) : StoreLifetimeBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;
}

// StoreSlidingCapBehaviourTests is not run here: SqliteCache slides an entry past its absolute expiry
// (SqliteLimitationTests proves it; docs/backends.md).

// Every codec's round trip through the cache on this backend.
public sealed class SqliteSystemTextJsonRoundTripTests(SqliteFixture sqlite) : CodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;

    protected override IDistributedCache CreateStore() => sqlite.Cache;
}

public sealed class SqliteMessagePackRoundTripTests(SqliteFixture sqlite) : CodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;

    protected override IDistributedCache CreateStore() => sqlite.Cache;
}
