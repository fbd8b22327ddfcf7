using System.Security.Cryptography;
using System.Text;
using CacheSerial.Internal;

namespace CacheSerial.Tests.Internal;

public sealed class KeyBuilderTests
{
    [Fact]
    public void Build_NoPrefix_StoreKeyIsTheKey()
    {
        var key = new KeyBuilder(string.Empty, 1024).Build("product:1");

        Assert.Equal("product:1", key.Key);
        Assert.Equal("product:1", key.LogicalKey);
        Assert.Equal("product:1", key.StoreKey);
    }

    [Fact]
    public void Build_WithPrefix_JoinsWithUnitSeparator()
    {
        var key = new KeyBuilder("shop:", 1024).Build("product:1");

        Assert.Equal("product:1", key.Key);
        Assert.Equal("shop:\u001Fproduct:1", key.LogicalKey);
        Assert.Equal(key.LogicalKey, key.StoreKey);
    }

    [Theory]
    [InlineData("a", "bc", "ab", "c")]
    [InlineData("", "ab", "a", "b")]
    [InlineData("a", "b", "", "ab")]
    public void Build_AmbiguousConcatenations_GiveDistinctKeys(string prefix1, string key1, string prefix2, string key2)
    {
        var first = new KeyBuilder(prefix1, 1024).Build(key1);
        var second = new KeyBuilder(prefix2, 1024).Build(key2);

        Assert.NotEqual(first.LogicalKey, second.LogicalKey);
        Assert.NotEqual(first.StoreKey, second.StoreKey);
    }

    [Fact]
    public void Build_AtMaximumLength_IsNotHashed_OneMoreIs()
    {
        var builder = new KeyBuilder("p", 300);
        var atLimit = new string('a', 298); // "p" + separator + 298 = 300

        Assert.Equal("p\u001F" + atLimit, builder.Build(atLimit).StoreKey);
        Assert.NotEqual("p\u001F" + atLimit + "b", builder.Build(atLimit + "b").StoreKey);
    }

    [Fact]
    public void Build_LongKey_IsPrefixHeadSeparatorAndSha256OfTheKey()
    {
        var key = new string('k', 500) + "end";

        var built = new KeyBuilder("shop", 256).Build(key);

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        Assert.Equal("shop\u001F" + key[..64] + "\u001E" + hash, built.StoreKey);
        Assert.Equal("shop\u001F" + key, built.LogicalKey);
        Assert.True(built.StoreKey.Length <= 256);
    }

    [Fact]
    public void Build_LongKeyWhoseHeadWouldEndInHighSurrogate_KeepsPairsWhole()
    {
        var key = new string('a', 63) + "\uD83D\uDE00" + new string('z', 300);

        var built = new KeyBuilder(string.Empty, 256).Build(key);

        Assert.StartsWith(new string('a', 63) + "\u001E", built.StoreKey, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_LongKeys_SameHead_DifferentStoreKeys()
    {
        var builder = new KeyBuilder(string.Empty, 256);
        var head = new string('h', 300);

        Assert.NotEqual(builder.Build(head + "1").StoreKey, builder.Build(head + "2").StoreKey);
    }

    [Fact]
    public void Build_HashedForm_CannotEqualAPlainKey()
    {
        // The hashed form contains U+001E, which keys may not contain, so no plain key maps onto it.
        var hashed = new KeyBuilder(string.Empty, 256).Build(new string('x', 300)).StoreKey;

        Assert.Contains('\u001E', hashed);
        Assert.Throws<ArgumentException>(() => KeyBuilder.Validate(hashed, "key"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("shop")]
    public void IsHashedKey_OwnHashedKey_IsTrueAndPlainKeysOrMarkersAreNot(string prefix)
    {
        var keys = new KeyBuilder(prefix, 256);

        Assert.True(keys.IsHashedKey(keys.Build(new string('x', 300)).StoreKey));
        Assert.False(keys.IsHashedKey(keys.Build("product:1").StoreKey));
        Assert.False(keys.IsHashedKey(keys.Marker("t").StoreKey));
    }

    [Fact]
    public void IsHashedKey_AnotherPrefixsHashedKey_IsFalseEvenWithoutAPrefix()
    {
        // Without a prefix every stored key starts with ours: another cache's keys are told apart by its separator.
        var other = new KeyBuilder("other", 256).Build(new string('x', 300)).StoreKey;

        Assert.False(new KeyBuilder(string.Empty, 256).IsHashedKey(other));
        Assert.False(new KeyBuilder("shop", 256).IsHashedKey(other));
    }

    [Theory]
    [InlineData("", 129)]
    [InlineData("p", 131)]
    [InlineData("shop:", 135)]
    public void MinimumMaximumKeyLength_FitsHashedKey(string prefix, int expected)
    {
        Assert.Equal(expected, KeyBuilder.MinimumMaximumKeyLength(prefix));
        var hashed = new KeyBuilder(prefix, expected).Build(new string('x', 1000)).StoreKey;
        Assert.Equal(expected, hashed.Length);
    }

    [Fact]
    public void ComputeKeyCheck_IsFirst16BytesOfSha256OfUtf8LogicalKey()
    {
        var logical = "shop\u001Fproduct:ключ";
        Span<byte> check = stackalloc byte[KeyBuilder.KeyCheckLength];

        KeyBuilder.ComputeKeyCheck(logical, check);

        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(logical))[..16], check.ToArray());
    }

    [Fact]
    public void KeyCheck_ManyKeysRepeatedAndColliding_AlwaysEqualsComputedCheck()
    {
        // More keys than remembered slots, read twice in two orders: remembered, evicted and colliding keys alike must
        // give exactly the SHA-256 check (a wrong remembered check would reject every read of that key).
        var keys = new KeyBuilder(string.Empty, 512);
        var logicalKeys = Enumerable.Range(0, 5000).Select(i => $"product:{i}").ToArray();
        Span<byte> remembered = stackalloc byte[KeyBuilder.KeyCheckLength];
        Span<byte> computed = stackalloc byte[KeyBuilder.KeyCheckLength];

        foreach (var logical in logicalKeys.Concat(logicalKeys.Reverse()).Concat(logicalKeys.Take(100)))
        {
            keys.KeyCheck(logical, remembered);
            KeyBuilder.ComputeKeyCheck(logical, computed);
            Assert.True(remembered.SequenceEqual(computed), logical);
        }
    }

    [Fact]
    public void KeyCheck_EqualStringsFromDifferentInstances_GiveSameCheck()
    {
        var keys = new KeyBuilder(string.Empty, 512);
        Span<byte> first = stackalloc byte[KeyBuilder.KeyCheckLength];
        Span<byte> second = stackalloc byte[KeyBuilder.KeyCheckLength];

        keys.KeyCheck(string.Concat("a:", "1"), first);
        keys.KeyCheck(string.Concat("a:", "1"), second);
        Span<byte> other = stackalloc byte[KeyBuilder.KeyCheckLength];
        keys.KeyCheck("a:2", other);

        Assert.True(first.SequenceEqual(second));
        Assert.False(first.SequenceEqual(other));
    }

    [Fact]
    public void ComputeKeyCheck_VeryLongKey_UsesWholeKey()
    {
        var a = new string('a', 5000) + "1";
        var b = new string('a', 5000) + "2";
        Span<byte> first = stackalloc byte[16];
        Span<byte> second = stackalloc byte[16];

        KeyBuilder.ComputeKeyCheck(a, first);
        KeyBuilder.ComputeKeyCheck(b, second);

        Assert.False(first.SequenceEqual(second));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(a))[..16], first.ToArray());
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a b")]
    [InlineData("\uD83D\uDE00")]
    [InlineData("\u00A0x")]
    public void Validate_ValidKey_DoesNotThrow(string key)
    {
        KeyBuilder.Validate(key, nameof(key));
    }

    // Lone surrogates cannot be attribute arguments (attribute strings are stored as UTF-8), hence MemberData.
    public static TheoryData<string> InvalidKeys => new() { string.Empty, " ", "\u2003", "a\u0001", "a\u009F", "\uD800x", "x\uDFFF", "\uDFFF\uD800" };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public void Validate_InvalidKey_ThrowsArgumentExceptionWithParamName(string key)
    {
        var ex = Assert.Throws<ArgumentException>(() => KeyBuilder.Validate(key, "myParam"));

        Assert.Equal("myParam", ex.ParamName);
    }

    [Fact]
    public void Validate_Null_ThrowsArgumentNullException()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => KeyBuilder.Validate(null!, "myParam"));

        Assert.Equal("myParam", ex.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void Validate_AllowEmpty_AcceptsEmptyAndWhiteSpace(string prefix)
    {
        KeyBuilder.Validate(prefix, nameof(prefix), allowEmpty: true);
    }

    [Fact]
    public void Validate_AllowEmpty_StillRejectsControlCharacters()
    {
        Assert.Throws<ArgumentException>(() => KeyBuilder.Validate("a\u001F", "prefix", allowEmpty: true));
    }

    [Fact]
    public void Validate_ErrorMessage_NamesCodePointAndIndex()
    {
        var ex = Assert.Throws<ArgumentException>(() => KeyBuilder.Validate("ab\u0007", "key"));

        Assert.Contains("U+0007", ex.Message, StringComparison.Ordinal);
        Assert.Contains("index 2", ex.Message, StringComparison.Ordinal);
    }
}
