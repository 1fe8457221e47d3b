// Transports: how requests and sockets leave the client. One for the WeChat
// mini-program (wx.request, wx.connectSocket) and one for standard fetch and
// WebSocket (browsers, Node 20+).

/**
 * @typedef {{method: string, url: string, headers: Record<string, string>, body?: string}} HttpRequest
 * @typedef {{status: number, headers: Record<string, string>, body: string}} HttpResponse
 * @typedef {{request(req: HttpRequest): Promise<HttpResponse>}} Transport
 */

/**
 * Standard fetch (browsers, Node 20+).
 * @param {typeof fetch} [fetchImpl]
 * @returns {Transport}
 */
export function fetchTransport(fetchImpl = globalThis.fetch) {
  return {
    async request({ method, url, headers, body }) {
      const response = await fetchImpl(url, { method, headers, body });
      /** @type {Record<string, string>} */
      const out = {};
      response.headers.forEach((value, key) => { out[key.toLowerCase()] = value; });
      return { status: response.status, headers: out, body: await response.text() };
    },
  };
}

/**
 * The WeChat mini-program's `wx` (https://developers.weixin.qq.com: wx.request).
 * @param {any} wx the mini-program's global `wx`
 * @returns {Transport}
 */
export function wxTransport(wx) {
  return {
    request({ method, url, headers, body }) {
      return new Promise((resolve, reject) => {
        wx.request({
          url,
          method,
          header: headers,
          data: body,
          dataType: 'text',
          responseType: 'text',
          success(res) {
            /** @type {Record<string, string>} */
            const out = {};
            for (const [key, value] of Object.entries(res.header || {})) out[key.toLowerCase()] = String(value);
            const text = typeof res.data === 'string' ? res.data : JSON.stringify(res.data ?? null);
            resolve({ status: res.statusCode, headers: out, body: text });
          },
          fail(err) {
            reject(new Error((err && err.errMsg) || 'wx.request failed'));
          },
        });
      });
    },
  };
}
