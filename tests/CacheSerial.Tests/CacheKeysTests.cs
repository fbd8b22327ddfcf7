using CacheSerial.Internal;

namespace CacheSerial.Tests;

public sealed class CacheKeysTests
{
    [Fact]
    public void WithHashTag_TagAndKey_PutsTheTagInBracesInFront()
    {
        Assert.Equal("{user:7}order:1", CacheKeys.WithHashTag("user:7", "order:1"));
    }

    [Theory]
    [InlineData("a{b")]
    [InlineData("a}b")]
    [InlineData("{user}")]
    public void WithHashTag_TagWithBrace_ThrowsNamingTheTag(string tag)
    {
        var ex = Assert.Throws<ArgumentException>(() => CacheKeys.WithHashTag(tag, "key"));

        Assert.Equal("tag", ex.ParamName);
        Assert.Contains("'{' or '}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithHashTag_EmptyTagOrKey_Throws()
    {
        Assert.Equal("tag", Assert.Throws<ArgumentException>(() => CacheKeys.WithHashTag(string.Empty, "key")).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => CacheKeys.WithHashTag("user:7", string.Empty)).ParamName);
        Assert.Throws<ArgumentNullException>(() => CacheKeys.WithHashTag(null!, "key"));
        Assert.Throws<ArgumentNullException>(() => CacheKeys.WithHashTag("user:7", null!));
    }

    [Fact]
    public void WithHashTag_TagWithControlCharacter_ThrowsNamingTheTag()
    {
        Assert.Equal("tag", Assert.Throws<ArgumentException>(() => CacheKeys.WithHashTag("user\n7", "key")).ParamName);
    }

    [Fact]
    public void WithHashTag_TagOneLongerThanTheMaximum_ThrowsSayingWhy()
    {
        var ex = Assert.Throws<ArgumentException>(() => CacheKeys.WithHashTag(new string('t', CacheKeys.MaximumHashTagLength + 1), "key"));

        Assert.Equal("tag", ex.ParamName);
        Assert.Contains("cut the tag off", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("shop")]
    public void WithHashTag_LongestTagOnAKeyThatGetsHashed_TagSurvivesInTheStoredKey(string prefix)
    {
        var tag = new string('t', CacheKeys.MaximumHashTagLength);
        var keys = new KeyBuilder(prefix, CacheSerialOptions.DefaultMaximumKeyLength);
        var key = CacheKeys.WithHashTag(tag, new string('k', CacheSerialOptions.DefaultMaximumKeyLength * 2));

        var stored = keys.Build(key).StoreKey;

        Assert.Contains(KeyBuilder.HashSeparator, stored); // hashed: the long form
        Assert.Equal(tag, RedisHashTag(stored));
    }

    [Fact]
    public void WithHashTag_SameTag_SameRedisHashTagWhateverTheKeyLength()
    {
        var keys = new KeyBuilder("shop", CacheSerialOptions.DefaultMaximumKeyLength);

        var shortKey = keys.Build(CacheKeys.WithHashTag("user:7", "order:1")).StoreKey;
        var longKey = keys.Build(CacheKeys.WithHashTag("user:7", new string('o', 5000))).StoreKey;

        Assert.Equal("user:7", RedisHashTag(shortKey));
        Assert.Equal("user:7", RedisHashTag(longKey));
    }

    /// <summary>What Redis Cluster hashes: the text between the first '{' and the next '}', when not empty (else the whole key).</summary>
    private static string RedisHashTag(string storedKey)
    {
        var open = storedKey.IndexOf('{', StringComparison.Ordinal);
        var close = open < 0 ? -1 : storedKey.IndexOf('}', open + 1);
        return close > open + 1 ? storedKey[(open + 1)..close] : storedKey;
    }
}
