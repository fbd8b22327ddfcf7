using CacheSerial.IntegrationTests.Infrastructure;

// One Redis server for the whole assembly; every test class that takes a RedisFixture in its constructor shares it.
[assembly: AssemblyFixture(typeof(RedisFixture))]

// The other backends the shared behaviour suites run on (tests/CacheSerial.IntegrationTests/Backends), one each.
[assembly: AssemblyFixture(typeof(GarnetFixture))]
[assembly: AssemblyFixture(typeof(SqliteFixture))]
