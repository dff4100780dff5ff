// Header parsing: Content-Range of chunks, Range of blob reads, Accept lists.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { acceptedTypes, isAcceptable, parseContentLength, parseContentRange, parseRange } from './headers.js'
import { isBerthError } from '../../lib/errors.js'

describe('headers', () => {
  it('Content-Range of chunks in the spec form and the common variants', () => {
    assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 })
    assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199 })
    assert.deepEqual(parseContentRange('bytes=5-9'), { start: 5, end: 9 })
    assert.equal(parseContentRange(undefined), undefined)
    assert.throws(() => parseContentRange('abc'), (e) => isBerthError(e, 'BLOB_UPLOAD_INVALID'))
    assert.throws(() => parseContentRange('10-5'), (e) => isBerthError(e, 'CHUNK_OUT_OF_ORDER'))
  })
  it('Content-Length must be a plain number', () => {
    assert.equal(parseContentLength('12'), 12)
    assert.throws(() => parseContentLength('-1'), (e) => isBerthError(e, 'SIZE_INVALID'))
  })
  it('Range: single ranges resolve against the size; unsatisfiable, reversed and malformed ones throw; others are ignored', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { offset: 0, length: 10 })
    assert.deepEqual(parseRange('bytes=90-', 100), { offset: 90, length: 10 })
    assert.deepEqual(parseRange('bytes=95-200', 100), { offset: 95, length: 5 })
    assert.deepEqual(parseRange('bytes=-10', 100), { offset: 90, length: 10 })
    assert.deepEqual(parseRange('bytes=-500', 100), { offset: 0, length: 100 })
    assert.deepEqual(parseRange('bytes=5-5', 100), { offset: 5, length: 1 })
    for (const ignored of ['bytes=0-1,5-6', 'items=0-1', '0-5', undefined]) assert.equal(parseRange(ignored, 100), undefined)
    for (const bad of ['bytes=100-', 'bytes=200-300', 'bytes=-0', 'bytes=20-10', 'bytes=9-2', 'bytes=-5-10', 'bytes=abc', 'bytes=-', 'bytes=', 'bytes=1-2-3', 'bytes=0x1-2']) assert.throws(() => parseRange(bad, 100), (e) => isBerthError(e, 'RANGE_NOT_SATISFIABLE'))
  })
  it('Accept: types without parameters, q=0 left out; */* accepts anything', () => {
    const a = acceptedTypes(['application/vnd.oci.image.manifest.v1+json; q=0.9', 'text/plain;q=0, application/json'])
    assert.deepEqual(a, ['application/vnd.oci.image.manifest.v1+json', 'application/json'])
    assert.equal(acceptedTypes(undefined), null)
    assert.deepEqual(acceptedTypes('x/y;q=0'), [])
    assert.ok(isAcceptable('x/y', null))
    assert.equal(isAcceptable('x/y', []), false)
    assert.ok(isAcceptable('x/y', ['*/*']))
    assert.ok(isAcceptable('x/y', ['x/y']))
    assert.equal(isAcceptable('x/y', ['x/z']), false)
  })
})
