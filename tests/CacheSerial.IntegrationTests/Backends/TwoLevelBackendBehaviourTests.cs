using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.IntegrationTests.Backends;

// The shared behaviour suites with a memory tier in front of the other backends (Garnet, SQLite): the same behaviour,
// with hits answered from memory. One line per suite.

[Collection(GarnetCollection.Name)]
public sealed class GarnetTwoLevelTypedCacheBehaviourTests(GarnetFixture garnet) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => garnet.Cache;

    protected override bool MemoryTier => true;
}

[Collection(GarnetCollection.Name)]
public sealed class GarnetTwoLevelExpirationBehaviourTests(GarnetFixture garnet) : ExpirationBehaviourTests
{
    protected override IDistributedCache Store => garnet.Cache;

    protected override bool MemoryTier => true;
}

[Collection(GarnetCollection.Name)]
public sealed class GarnetTwoLevelSlidingExpirationBehaviourTests(GarnetFixture garnet) : SlidingExpirationBehaviourTests
{
    protected override IDistributedCache Store => garnet.Cache;

    protected override bool MemoryTier => true;
}

[Collection(GarnetCollection.Name)]
public sealed class GarnetTwoLevelFailSafeBehaviourTests(GarnetFixture garnet) : FailSafeBehaviourTests
{
    protected override IDistributedCache Store => garnet.Cache;

    protected override bool MemoryTier => true;
}

[Collection(GarnetCollection.Name)]
public sealed class GarnetTwoLevelBulkBehaviourTests(GarnetFixture garnet) : BulkBehaviourTests
{
    protected override IDistributedCache Store => garnet.Cache;

    protected override bool MemoryTier => true;
}

[Collection(GarnetCollection.Name)]
public sealed class GarnetTwoLevelStampedeBehaviourTests(GarnetFixture garnet) : StampedeBehaviourTests
{
    protected override IDistributedCache Store => garnet.Cache;

    protected override bool MemoryTier => true;
}

[Collection(GarnetCollection.Name)]
public sealed class GarnetTwoLevelStoreFailureBehaviourTests(GarnetFixture garnet) : StoreFailureBehaviourTests
{
    protected override IDistributedCache Store => garnet.Cache;

    protected override bool MemoryTier => true;
}

public sealed class SqliteTwoLevelTypedCacheBehaviourTests(SqliteFixture sqlite) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;

    protected override bool MemoryTier => true;
}

public sealed class SqliteTwoLevelExpirationBehaviourTests(SqliteFixture sqlite) : ExpirationBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;

    protected override bool MemoryTier => true;
}

public sealed class SqliteTwoLevelSlidingExpirationBehaviourTests(SqliteFixture sqlite) : SlidingExpirationBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;

    protected override bool MemoryTier => true;
}

public sealed class SqliteTwoLevelFailSafeBehaviourTests(SqliteFixture sqlite) : FailSafeBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;

    protected override bool MemoryTier => true;
}

public sealed class SqliteTwoLevelBulkBehaviourTests(SqliteFixture sqlite) : BulkBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;

    protected override bool MemoryTier => true;
}

public sealed class SqliteTwoLevelStampedeBehaviourTests(SqliteFixture sqlite) : StampedeBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;

    protected override bool MemoryTier => true;
}

public sealed class SqliteTwoLevelStoreFailureBehaviourTests(SqliteFixture sqlite) : StoreFailureBehaviourTests
{
    protected override IDistributedCache Store => sqlite.Cache;

    protected override bool MemoryTier => true;
}
