var q=globalThis,K=q.ShadowRoot&&(q.ShadyCSS===void 0||q.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,Q=Symbol(),ht=new WeakMap,H=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==Q)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(K&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=ht.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&ht.set(t,e))}return e}toString(){return this.cssText}},mt=r=>new H(typeof r=="string"?r:r+"",void 0,Q),g=(r,...e)=>{let t=r.length===1?r[0]:e.reduce((s,i,a)=>s+(n=>{if(n._$cssResult$===!0)return n.cssText;if(typeof n=="number")return n;throw Error("Value passed to 'css' function must be a 'css' function result: "+n+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+r[a+1],r[0]);return new H(t,r,Q)},gt=(r,e)=>{if(K)r.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),i=q.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=t.cssText,r.appendChild(s)}},tt=K?r=>r:r=>r instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return mt(t)})(r):r;var{is:Ft,defineProperty:Vt,getOwnPropertyDescriptor:Bt,getOwnPropertyNames:jt,getOwnPropertySymbols:Wt,getPrototypeOf:qt}=Object,G=globalThis,_t=G.trustedTypes,Kt=_t?_t.emptyScript:"",Gt=G.reactiveElementPolyfillSupport,R=(r,e)=>r,et={toAttribute(r,e){switch(e){case Boolean:r=r?Kt:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,e){let t=r;switch(e){case Boolean:t=r!==null;break;case Number:t=r===null?null:Number(r);break;case Object:case Array:try{t=JSON.parse(r)}catch{t=null}}return t}},$t=(r,e)=>!Ft(r,e),ft={attribute:!0,type:String,converter:et,reflect:!1,useDefault:!1,hasChanged:$t};Symbol.metadata??=Symbol("metadata"),G.litPropertyMetadata??=new WeakMap;var b=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=ft){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(e,s,t);i!==void 0&&Vt(this.prototype,e,i)}}static getPropertyDescriptor(e,t,s){let{get:i,set:a}=Bt(this.prototype,e)??{get(){return this[t]},set(n){this[t]=n}};return{get:i,set(n){let c=i?.call(this);a?.call(this,n),this.requestUpdate(e,c,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??ft}static _$Ei(){if(this.hasOwnProperty(R("elementProperties")))return;let e=qt(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(R("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(R("properties"))){let t=this.properties,s=[...jt(t),...Wt(t)];for(let i of s)this.createProperty(i,t[i])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,i]of t)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let i=this._$Eu(t,s);i!==void 0&&this._$Eh.set(i,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let i of s)t.unshift(tt(i))}else e!==void 0&&t.push(tt(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return gt(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),i=this.constructor._$Eu(e,s);if(i!==void 0&&s.reflect===!0){let a=(s.converter?.toAttribute!==void 0?s.converter:et).toAttribute(t,s.type);this._$Em=e,a==null?this.removeAttribute(i):this.setAttribute(i,a),this._$Em=null}}_$AK(e,t){let s=this.constructor,i=s._$Eh.get(e);if(i!==void 0&&this._$Em!==i){let a=s.getPropertyOptions(i),n=typeof a.converter=="function"?{fromAttribute:a.converter}:a.converter?.fromAttribute!==void 0?a.converter:et;this._$Em=i;let c=n.fromAttribute(t,a.type);this[i]=c??this._$Ej?.get(i)??c,this._$Em=null}}requestUpdate(e,t,s,i=!1,a){if(e!==void 0){let n=this.constructor;if(i===!1&&(a=this[e]),s??=n.getPropertyOptions(e),!((s.hasChanged??$t)(a,t)||s.useDefault&&s.reflect&&a===this._$Ej?.get(e)&&!this.hasAttribute(n._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:i,wrapped:a},n){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,n??t??this[e]),a!==!0||n!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),i===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,a]of this._$Ep)this[i]=a;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,a]of s){let{wrapped:n}=a,c=this[i];n!==!0||this._$AL.has(i)||c===void 0||this.C(i,void 0,a,c)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};b.elementStyles=[],b.shadowRootOptions={mode:"open"},b[R("elementProperties")]=new Map,b[R("finalized")]=new Map,Gt?.({ReactiveElement:b}),(G.reactiveElementVersions??=[]).push("2.1.2");var lt=globalThis,bt=r=>r,X=lt.trustedTypes,vt=X?X.createPolicy("lit-html",{createHTML:r=>r}):void 0,St="$lit$",y=`lit$${Math.random().toFixed(9).slice(2)}$`,At="?"+y,Xt=`<${At}>`,S=document,N=()=>S.createComment(""),D=r=>r===null||typeof r!="object"&&typeof r!="function",dt=Array.isArray,Jt=r=>dt(r)||typeof r?.[Symbol.iterator]=="function",st=`[ 	
\f\r]`,L=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,yt=/-->/g,wt=/>/g,k=RegExp(`>|${st}(?:([^\\s"'>=/]+)(${st}*=${st}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),xt=/'/g,kt=/"/g,Mt=/^(?:script|style|textarea|title)$/i,ct=r=>(e,...t)=>({_$litType$:r,strings:e,values:t}),o=ct(1),de=ct(2),ce=ct(3),A=Symbol.for("lit-noChange"),d=Symbol.for("lit-nothing"),Et=new WeakMap,E=S.createTreeWalker(S,129);function Pt(r,e){if(!dt(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return vt!==void 0?vt.createHTML(e):e}var Yt=(r,e)=>{let t=r.length-1,s=[],i,a=e===2?"<svg>":e===3?"<math>":"",n=L;for(let c=0;c<t;c++){let l=r[c],p,m,u=-1,$=0;for(;$<l.length&&(n.lastIndex=$,m=n.exec(l),m!==null);)$=n.lastIndex,n===L?m[1]==="!--"?n=yt:m[1]!==void 0?n=wt:m[2]!==void 0?(Mt.test(m[2])&&(i=RegExp("</"+m[2],"g")),n=k):m[3]!==void 0&&(n=k):n===k?m[0]===">"?(n=i??L,u=-1):m[1]===void 0?u=-2:(u=n.lastIndex-m[2].length,p=m[1],n=m[3]===void 0?k:m[3]==='"'?kt:xt):n===kt||n===xt?n=k:n===yt||n===wt?n=L:(n=k,i=void 0);let v=n===k&&r[c+1].startsWith("/>")?" ":"";a+=n===L?l+Xt:u>=0?(s.push(p),l.slice(0,u)+St+l.slice(u)+y+v):l+y+(u===-2?c:v)}return[Pt(r,a+(r[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},U=class r{constructor({strings:e,_$litType$:t},s){let i;this.parts=[];let a=0,n=0,c=e.length-1,l=this.parts,[p,m]=Yt(e,t);if(this.el=r.createElement(p,s),E.currentNode=this.el.content,t===2||t===3){let u=this.el.content.firstChild;u.replaceWith(...u.childNodes)}for(;(i=E.nextNode())!==null&&l.length<c;){if(i.nodeType===1){if(i.hasAttributes())for(let u of i.getAttributeNames())if(u.endsWith(St)){let $=m[n++],v=i.getAttribute(u).split(y),W=/([.?@])?(.*)/.exec($);l.push({type:1,index:a,name:W[2],strings:v,ctor:W[1]==="."?rt:W[1]==="?"?at:W[1]==="@"?nt:P}),i.removeAttribute(u)}else u.startsWith(y)&&(l.push({type:6,index:a}),i.removeAttribute(u));if(Mt.test(i.tagName)){let u=i.textContent.split(y),$=u.length-1;if($>0){i.textContent=X?X.emptyScript:"";for(let v=0;v<$;v++)i.append(u[v],N()),E.nextNode(),l.push({type:2,index:++a});i.append(u[$],N())}}}else if(i.nodeType===8)if(i.data===At)l.push({type:2,index:a});else{let u=-1;for(;(u=i.data.indexOf(y,u+1))!==-1;)l.push({type:7,index:a}),u+=y.length-1}a++}}static createElement(e,t){let s=S.createElement("template");return s.innerHTML=e,s}};function M(r,e,t=r,s){if(e===A)return e;let i=s!==void 0?t._$Co?.[s]:t._$Cl,a=D(e)?void 0:e._$litDirective$;return i?.constructor!==a&&(i?._$AO?.(!1),a===void 0?i=void 0:(i=new a(r),i._$AT(r,t,s)),s!==void 0?(t._$Co??=[])[s]=i:t._$Cl=i),i!==void 0&&(e=M(r,i._$AS(r,e.values),i,s)),e}var it=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,i=(e?.creationScope??S).importNode(t,!0);E.currentNode=i;let a=E.nextNode(),n=0,c=0,l=s[0];for(;l!==void 0;){if(n===l.index){let p;l.type===2?p=new O(a,a.nextSibling,this,e):l.type===1?p=new l.ctor(a,l.name,l.strings,this,e):l.type===6&&(p=new ot(a,this,e)),this._$AV.push(p),l=s[++c]}n!==l?.index&&(a=E.nextNode(),n++)}return E.currentNode=S,i}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},O=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,i){this.type=2,this._$AH=d,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=M(this,e,t),D(e)?e===d||e==null||e===""?(this._$AH!==d&&this._$AR(),this._$AH=d):e!==this._$AH&&e!==A&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Jt(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==d&&D(this._$AH)?this._$AA.nextSibling.data=e:this.T(S.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,i=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=U.createElement(Pt(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(t);else{let a=new it(i,this),n=a.u(this.options);a.p(t),this.T(n),this._$AH=a}}_$AC(e){let t=Et.get(e.strings);return t===void 0&&Et.set(e.strings,t=new U(e)),t}k(e){dt(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,i=0;for(let a of e)i===t.length?t.push(s=new r(this.O(N()),this.O(N()),this,this.options)):s=t[i],s._$AI(a),i++;i<t.length&&(this._$AR(s&&s._$AB.nextSibling,i),t.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=bt(e).nextSibling;bt(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},P=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,i,a){this.type=1,this._$AH=d,this._$AN=void 0,this.element=e,this.name=t,this._$AM=i,this.options=a,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=d}_$AI(e,t=this,s,i){let a=this.strings,n=!1;if(a===void 0)e=M(this,e,t,0),n=!D(e)||e!==this._$AH&&e!==A,n&&(this._$AH=e);else{let c=e,l,p;for(e=a[0],l=0;l<a.length-1;l++)p=M(this,c[s+l],t,l),p===A&&(p=this._$AH[l]),n||=!D(p)||p!==this._$AH[l],p===d?e=d:e!==d&&(e+=(p??"")+a[l+1]),this._$AH[l]=p}n&&!i&&this.j(e)}j(e){e===d?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},rt=class extends P{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===d?void 0:e}},at=class extends P{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==d)}},nt=class extends P{constructor(e,t,s,i,a){super(e,t,s,i,a),this.type=5}_$AI(e,t=this){if((e=M(this,e,t,0)??d)===A)return;let s=this._$AH,i=e===d&&s!==d||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,a=e!==d&&(s===d||i);i&&this.element.removeEventListener(this.name,this,s),a&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},ot=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){M(this,e)}};var Zt=lt.litHtmlPolyfillSupport;Zt?.(U,O),(lt.litHtmlVersions??=[]).push("3.3.3");var Tt=(r,e,t)=>{let s=t?.renderBefore??e,i=s._$litPart$;if(i===void 0){let a=t?.renderBefore??null;s._$litPart$=i=new O(e.insertBefore(N(),a),a,void 0,t??{})}return i._$AI(r),i};var pt=globalThis,f=class extends b{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=Tt(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return A}};f._$litElement$=!0,f.finalized=!0,pt.litElementHydrateSupport?.({LitElement:f});var Qt=pt.litElementPolyfillSupport;Qt?.({LitElement:f});(pt.litElementVersions??=[]).push("4.2.2");function Ct(r,e,t){let s=t?[...e]:r.concat(e);return s.length>500?s.slice(s.length-500):s}function Ht(r,e){if(e.kind==="snapshot")return e.snapshot;if(e.kind==="closed"||r===null)return null;switch(e.kind){case"status":return{...r,status:e.status};case"swap":return{...r,swap:e.swap};case"swap_log":return{...r,swap_log:Ct(r.swap_log,e.lines,e.reset)};case"catalog":return{...r,catalog:e.catalog};case"download":return{...r,download:e.download};case"update":return{...r,update:e.update};case"update_log":return{...r,update_log:Ct(r.update_log,e.lines,e.reset)};case"health":return{...r,health:{failures:e.failures,verdicts:e.verdicts,log:[e.event,...r.health.log].slice(0,200)}};default:return r}}var T=class{constructor(e,t){this.hass=e;this.entryId=t}static entries(e){return e.callWS({type:"spark_control/entries"})}call(e,t={}){return this.hass.callWS({type:`spark_control/${e}`,entry_id:this.entryId,...t})}subscribe(e){return this.hass.connection.subscribeMessage(e,{type:"spark_control/subscribe",entry_id:this.entryId})}swap(e){return this.call("swap",{model:e})}download(e){return this.call("download",e)}cancelDownload(){return this.call("cancel_download")}validateRepo(e,t){return this.call("validate_repo",t?{repo_id:e,revision:t}:{repo_id:e})}addModel(e,t,s){return this.call("add_model",t?{repo_id:e,name:t,target:s}:{repo_id:e,target:s})}removeModel(e){return this.call("remove_model",{model:e})}modelSettings(e,t){return this.call("model_settings",{model:e,...t})}service(e,t){return this.call("service",{service:e,action:t})}updateCheck(){return this.call("update_check")}updateApply(){return this.call("update_apply")}};var Rt="spark_control",te=`component.${Rt}.config_panel.`;async function Lt(r){let e=await r.loadBackendTranslation("config_panel",Rt);return(t,s)=>e(te+t,s)||t}function J(r){return typeof r=="object"&&r!==null&&"message"in r?String(r.message):String(r)}var Y=g`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, var(--ha-font-family-body, Roboto, sans-serif));
    font-size: 14px;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h2,
  h3 {
    margin: 0;
    font-weight: 500;
  }
  h2 {
    font-size: 20px;
  }
  h3 {
    font-size: 16px;
  }
  .card {
    background: var(--ha-card-background, var(--card-background-color, #fff));
    border-radius: var(--ha-card-border-radius, 12px);
    border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
    padding: 16px;
  }
  .grid {
    display: grid;
    gap: 12px;
    grid-template-columns: repeat(auto-fill, minmax(min(100%, 320px), 1fr));
    align-items: start;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
  }
  .spacer {
    flex: 1;
  }
  .muted {
    color: var(--secondary-text-color, #727272);
  }
  button,
  .button {
    min-height: 44px;
    min-width: 44px;
    padding: 0 16px;
    border-radius: 8px;
    border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.24));
    background: var(--card-background-color, #fff);
    color: var(--primary-text-color, #212121);
    font: inherit;
    font-weight: 500;
    cursor: pointer;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    border-color: var(--primary-color, #03a9f4);
    color: #000;
  }
  button.danger {
    border-color: var(--error-color, #db4437);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  [tabindex]:focus-visible,
  summary:focus-visible {
    outline: 3px solid var(--primary-color, #03a9f4);
    outline-offset: 2px;
  }
  label {
    display: flex;
    flex-direction: column;
    gap: 4px;
    font-weight: 500;
  }
  label.check {
    flex-direction: row;
    align-items: center;
    min-height: 44px;
    gap: 12px;
    font-weight: 400;
  }
  input[type="checkbox"],
  input[type="radio"] {
    width: 24px;
    height: 24px;
    margin: 0;
    accent-color: var(--primary-color, #03a9f4);
  }
  input:not([type="checkbox"]):not([type="radio"]),
  select {
    min-height: 44px;
    padding: 0 12px;
    border-radius: 8px;
    border: 1px solid var(--secondary-text-color, #727272);
    background: var(--primary-background-color, #fafafa);
    color: var(--primary-text-color, #212121);
    font: inherit;
    width: 100%;
  }
  input[aria-invalid="true"] {
    border: 2px solid var(--error-color, #db4437);
  }
  .field-error,
  .error {
    border-left: 4px solid var(--error-color, #db4437);
    padding: 4px 8px;
    font-weight: 400;
    overflow-wrap: anywhere;
  }
  .notice {
    border-left: 4px solid var(--primary-color, #03a9f4);
    padding: 8px 12px;
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.08));
  }
  .badge {
    display: inline-block;
    padding: 2px 8px;
    border-radius: 10px;
    border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.24));
    font-size: 12px;
  }
  .dot {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 50%;
    background: var(--disabled-text-color, #bdbdbd);
    margin-right: 6px;
  }
  .dot.ok {
    background: var(--success-color, #43a047);
  }
  .dot.bad {
    background: var(--error-color, #db4437);
  }
  .dot.busy {
    background: var(--warning-color, #ffa600);
  }
  pre.log {
    margin: 0;
    max-height: 320px;
    overflow: auto;
    padding: 8px;
    border-radius: 8px;
    background: var(--primary-background-color, #fafafa);
    border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
    font-family: var(--code-font-family, ui-monospace, monospace);
    font-size: 12px;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  progress {
    width: 100%;
    height: 12px;
    accent-color: var(--primary-color, #03a9f4);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;var Nt=["B","kB","MB","GB","TB"];function Z(r){if(r==null||!Number.isFinite(r))return"—";let e=r,t=0;for(;e>=1e3&&t<Nt.length-1;)e/=1e3,t+=1;return`${e.toFixed(t===0||e>=100?0:1)} ${Nt[t]}`}function Dt(r){if(r==null||!Number.isFinite(r))return"—";let e=Math.max(0,Math.round(r));if(e<60)return`${e} s`;let t=Math.floor(e/60);return t<60?`${t} min ${e%60} s`:`${Math.floor(t/60)} h ${t%60} min`}function Ut(r,e){if(!r)return"—";let t=new Date(r);return Number.isNaN(t.getTime())?r:t.toLocaleString(e,{month:"short",day:"numeric",hour:"2-digit",minute:"2-digit",second:"2-digit"})}function Ot(r){return typeof r=="object"&&r!==null&&"code"in r&&"message"in r}var h=class extends f{constructor(){super(...arguments);this.t=t=>t;this.language="en"}};h.properties={api:{attribute:!1},snapshot:{attribute:!1},t:{attribute:!1},language:{attribute:!1}},h.styles=[Y];function _(r){return Ot(r)?{field:r.translation_placeholders?.field??null,message:r.message}:{field:null,message:String(r)}}function w(r,e=[]){return!r||r.field!==null&&e.includes(r.field)?d:o`<p class="error" role="alert">${r.message}</p>`}function x(r,e,t){return!r||r.field!==e?d:o`<span class="field-error" id=${t} role="alert">${r.message}</span>`}var I=class extends h{constructor(){super(...arguments);this._filter=""}render(){let t=this.snapshot.health.log,s=[...new Set(t.map(a=>a.service))].sort(),i=this._filter?t.filter(a=>a.service===this._filter):t;return o`
      <section class="card" aria-labelledby="conn-title">
        <div class="row">
          <h2 id="conn-title">${this.t("connectivity.title")}</h2>
          <span class="spacer"></span>
          <label class="filter">${this.t("connectivity.filter")}
            <select name="service_filter" .value=${this._filter}
              @change=${a=>{this._filter=a.target.value}}>
              <option value="" ?selected=${this._filter===""}>${this.t("connectivity.all")}</option>
              ${s.map(a=>o`<option value=${a} ?selected=${this._filter===a}>${a}</option>`)}
            </select>
          </label>
        </div>
        ${i.length?o`<ol aria-label=${this.t("connectivity.title")}>${i.map(a=>this._item(a))}</ol>`:o`<p class="muted">${this.t("connectivity.empty")}</p>`}
      </section>
    `}_item(t){let s=t.kind==="transition"?this.t(t.ok?"connectivity.came_back":"connectivity.went_down",{service:t.service}):this.t(t.ok?"connectivity.report_ok":"connectivity.report_failed",{service:t.service,source:t.source??"—"});return o`<li data-service=${t.service} data-kind=${t.kind}>
      <div class="row">
        <span class="dot ${t.ok?"ok":"bad"}"></span>
        <strong>${s}</strong>
        <span class="spacer"></span>
        <time class="muted" datetime=${t.time}>${Ut(t.time,this.language)}</time>
      </div>
      ${t.error?o`<span>${t.error}</span>`:d}
      ${t.ms!==null?o`<span class="muted">${this.t("connectivity.latency",{ms:Math.round(t.ms)})}</span>`:d}
    </li>`}};I.properties={...h.properties,_filter:{state:!0}},I.styles=[h.styles,g`
      ol {
        list-style: none;
        margin: 12px 0 0;
        padding: 0;
        display: grid;
        gap: 8px;
      }
      li {
        display: grid;
        gap: 2px;
        padding: 8px 0;
        border-bottom: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
        overflow-wrap: anywhere;
      }
      .filter {
        max-width: 280px;
      }
    `];customElements.get("spark-connectivity")||customElements.define("spark-connectivity",I);var ee=250,z=class extends h{constructor(){super(...arguments);this._repo="";this._revision="";this._target="cluster";this._check=null;this._fail=null;this._busy=!1;this._dialog=null;this._addFail=null;this._offered=new Set}disconnectedCallback(){super.disconnectedCallback(),window.clearTimeout(this._timer)}willUpdate(t){if(!t.has("snapshot"))return;let s=t.get("snapshot")?.download,i=this.snapshot.download;i&&i.state==="completed"&&!i.in_catalog&&s&&s.state!=="completed"&&this._offer(i)}updated(t){if(t.has("_dialog")&&this._dialog){let s=this.renderRoot.querySelector("dialog");s&&!s.open&&s.showModal()}}_offer(t){let s=`${t.repo_id}@${t.bytes_total??""}`;if(this._offered.has(s))return;this._offered.add(s),this._addFail=null;let i=t.repo_id.split("/").pop()??t.repo_id;this._dialog={repo_id:t.repo_id,name:i,target:t.target}}render(){let t=this.snapshot.download,s=t?.running??!1,i=this._check,a=this._fail,n=a?.field==="repo_id"?a:i?.repo_id?{field:"repo_id",message:i.repo_id}:null,c=a?.field==="revision"?a:i?.revision?{field:"revision",message:i.revision}:null,l="worker"in this.snapshot.status.nodes;return o`
      <section class="card" aria-labelledby="dl-title">
        <h2 id="dl-title">${this.t("download.title")}</h2>
        <form novalidate @submit=${p=>{p.preventDefault(),this._start()}}>
          <label>${this.t("download.repo")}
            <input name="repo_id" autocomplete="off" spellcheck="false" .value=${this._repo}
              placeholder="org/name" aria-invalid=${n?"true":"false"}
              aria-describedby="repo-help repo-error"
              @input=${p=>this._edit({repo:p.target.value})} />
            <span id="repo-help" class="muted">${this.t("download.repo_help")}</span>
            ${x(n,"repo_id","repo-error")}
            ${i?.in_catalog?o`<span class="notice">${this.t("download.in_catalog")}</span>`:d}
          </label>
          <fieldset>
            <legend>${this.t("download.target")}</legend>
            ${["solo","cluster"].map(p=>o`<label class="check">
                <input type="radio" name="target" value=${p} .checked=${this._target===p}
                  ?disabled=${p==="cluster"&&!l}
                  @change=${()=>{this._target=p}} />
                ${this.t(`download.target_${p}`)}
              </label>`)}
          </fieldset>
          <label>${this.t("download.revision")}
            <input name="revision" autocomplete="off" spellcheck="false" .value=${this._revision}
              placeholder="main" aria-invalid=${c?"true":"false"} aria-describedby="revision-error"
              @input=${p=>this._edit({revision:p.target.value})} />
            ${x(c,"revision","revision-error")}
          </label>
          ${w(a,["repo_id","revision"])}
          <div class="row">
            <button type="submit" class="primary" ?disabled=${s||this._busy||!this._repo.trim()||!!n||!!c}>
              ${this.t("download.start")}
            </button>
          </div>
        </form>
        ${t?this._renderProgress(t):d}
      </section>
      ${this._dialog?this._renderDialog(this._dialog):d}
    `}_renderProgress(t){let s=t.percent,i=this.t("download.progress_label",{repo:t.repo_id});return o`
      <div class="progress" data-download-state=${t.state}>
        <div class="row">
          <h3>${t.repo_id}</h3>
          <span class="spacer"></span>
          <span role="status">${this.t(`download.state_${t.state}`)}</span>
        </div>
        <progress max="100" .value=${s??0} aria-label=${i}
          aria-valuetext=${s===null?this.t("download.unknown"):`${s.toFixed(1)} %`}></progress>
        <div class="figures">
          <span data-percent>${s===null?"—":`${s.toFixed(1)} %`}</span>
          <span data-bytes>${this.t("download.bytes",{done:Z(t.bytes_done),total:Z(t.bytes_total)})}</span>
          <span data-rate>${t.rate_bps===null?"—":`${Z(t.rate_bps)}/s`}</span>
          <span data-eta>${this.t("download.eta",{eta:Dt(t.eta_s)})}</span>
        </div>
        ${t.error?o`<p class="error" role="alert">${t.error}</p>`:d}
        <div class="row">
          ${t.running?o`<button class="danger" @click=${()=>this._cancel()}>${this.t("download.cancel")}</button>`:d}
          ${t.state==="completed"&&!t.in_catalog?o`<button @click=${()=>{this._offered.clear(),this._offer(t)}}>${this.t("download.add")}</button>`:d}
        </div>
      </div>
    `}_renderDialog(t){let s=this._addFail;return o`
      <dialog aria-labelledby="add-title" @close=${()=>{this._dialog=null}}>
        <form novalidate @submit=${i=>{i.preventDefault(),this._add()}}>
          <h2 id="add-title">${this.t("download.add_title")}</h2>
          <label>${this.t("download.repo")}
            <input name="add_repo_id" .value=${t.repo_id} aria-invalid=${s?.field==="repo_id"?"true":"false"}
              aria-describedby="add-repo-error"
              @input=${i=>{this._dialog={...t,repo_id:i.target.value}}} />
            ${x(s,"repo_id","add-repo-error")}
          </label>
          <label>${this.t("download.name")}
            <input name="add_name" .value=${t.name} aria-invalid=${s?.field==="name"?"true":"false"}
              aria-describedby="add-name-error"
              @input=${i=>{this._dialog={...t,name:i.target.value}}} />
            ${x(s,"name","add-name-error")}
          </label>
          <label>${this.t("download.mode")}
            <select name="add_target" .value=${t.target}
              @change=${i=>{this._dialog={...t,target:i.target.value}}}>
              <option value="solo" ?selected=${t.target==="solo"}>${this.t("mode.solo")}</option>
              <option value="cluster" ?selected=${t.target==="cluster"}>${this.t("mode.cluster")}</option>
            </select>
          </label>
          ${w(s,["repo_id","name"])}
          <div class="row end">
            <button type="button" @click=${()=>this._closeDialog()}>${this.t("common.cancel")}</button>
            <button type="submit" class="primary">${this.t("download.add")}</button>
          </div>
        </form>
      </dialog>
    `}_edit(t){t.repo!==void 0&&(this._repo=t.repo),t.revision!==void 0&&(this._revision=t.revision),this._fail=null,window.clearTimeout(this._timer),this._timer=window.setTimeout(()=>{this._validate()},ee)}async _validate(){let t=this._repo.trim(),s=this._revision.trim();if(!t){this._check=null;return}try{let i=await this.api.validateRepo(t,s||void 0);if(t!==this._repo.trim()||s!==this._revision.trim())return;this._check={...i.errors,in_catalog:i.in_catalog}}catch(i){let a=_(i);this._check={[a.field??"repo_id"]:a.message,in_catalog:!1}}}async _start(){this._busy=!0,this._fail=null;let t=this._revision.trim();try{await this.api.download({repo_id:this._repo.trim(),target:this._target,...t?{revision:t}:{}})}catch(s){this._fail=_(s)}finally{this._busy=!1}}async _cancel(){try{await this.api.cancelDownload()}catch(t){this._fail=_(t)}}_closeDialog(){this.renderRoot.querySelector("dialog")?.close(),this._dialog=null}async _add(){if(!this._dialog)return;let{repo_id:t,name:s,target:i}=this._dialog;this._addFail=null;try{await this.api.addModel(t.trim(),s.trim()||void 0,i),this._closeDialog(),this.dispatchEvent(new CustomEvent("spark-model-added",{bubbles:!0,composed:!0}))}catch(a){this._addFail=_(a)}}};z.properties={...h.properties,_repo:{state:!0},_revision:{state:!0},_target:{state:!0},_check:{state:!0},_fail:{state:!0},_busy:{state:!0},_dialog:{state:!0},_addFail:{state:!0}},z.styles=[h.styles,g`
      form,
      .progress,
      dialog form {
        display: grid;
        gap: 12px;
      }
      fieldset {
        border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
        border-radius: 8px;
        margin: 0;
        padding: 4px 12px;
      }
      legend {
        font-weight: 500;
        padding: 0 4px;
      }
      .progress {
        margin-top: 12px;
      }
      .figures {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 16px;
        font-variant-numeric: tabular-nums;
      }
      dialog {
        border: none;
        border-radius: 12px;
        padding: 24px;
        width: min(92vw, 480px);
        background: var(--card-background-color, #fff);
        color: var(--primary-text-color, #212121);
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.5);
      }
      .row.end {
        justify-content: flex-end;
      }
    `];customElements.get("spark-download")||customElements.define("spark-download",z);function It(r){return{max_model_len:r.max_model_len===null?"":String(r.max_model_len),gpu_memory_pct:r.gpu_memory_utilization===null?"":String(Math.round(r.gpu_memory_utilization*1e3)/10),fastsafetensors:r.fastsafetensors,prefix_caching:r.prefix_caching===null?"default":r.prefix_caching?"on":"off",fp8_kv_cache:r.fp8_kv_cache}}function se(r){let e=(t,s=1)=>{let i=t.trim();if(i==="")return null;let a=Number(i);return Number.isFinite(a)?Math.round(a/s*1e4)/1e4:i};return{max_model_len:e(r.max_model_len),gpu_memory_utilization:e(r.gpu_memory_pct,100),fastsafetensors:r.fastsafetensors,prefix_caching:r.prefix_caching==="default"?null:r.prefix_caching==="on",fp8_kv_cache:r.fp8_kv_cache}}var F=class extends h{constructor(){super(...arguments);this._confirm=null;this._editing=null;this._draft=null;this._saving=!1;this._saved=null;this._fail=null;this._swapFail=null;this._showLog=!1}updated(t){if(t.has("_confirm")&&this._confirm){let s=this.renderRoot.querySelector("dialog");s&&!s.open&&s.showModal()}if(t.has("snapshot")){let s=this.renderRoot.querySelector("#swap-log");s&&(s.scrollTop=s.scrollHeight)}}render(){let t=this.snapshot,s=t.status.vllm.ready?t.status.vllm.model:null,i=t.swap,a=this._showLog||i.running||t.swap_log.length>0;return o`
      ${a?this._renderSwap():d}
      ${w(this._swapFail)}
      <div class="grid" role="list" aria-label=${this.t("models.title")}>
        ${t.catalog.map(n=>this._renderModel(n,s))}
      </div>
      ${this._confirm?this._renderConfirm(this._confirm):d}
    `}_renderSwap(){let t=this.snapshot.swap,s=this.t(`swap_state.${t.state}`),i=t.state==="ready"?"ok":t.state==="failed"?"bad":t.running?"busy":"";return o`
      <section class="card swap" aria-labelledby="swap-title">
        <div class="row">
          <h2 id="swap-title">${this.t("models.swap_log")}</h2>
          <span class="spacer"></span>
          <span role="status" data-swap-state=${t.state} data-swap-model=${t.model??""}>
            <span class="dot ${i}"></span>${t.model?`${t.model}: `:""}${s}${t.shard_percent!==null&&t.running?` (${t.shard_percent.toFixed(0)} %)`:""}
          </span>
        </div>
        ${t.stalled?o`<p class="notice">${this.t("models.stalled")}</p>`:d}
        ${t.state==="failed"&&t.error?o`<p class="error" role="alert" data-swap-error>${t.error}</p>`:d}
        <pre id="swap-log" class="log" role="log" tabindex="0" aria-label=${this.t("models.swap_log")}>${this.snapshot.swap_log.join(`
`)}</pre>
      </section>
    `}_renderModel(t,s){let i=this.snapshot.swap,a=s===t.repo_id,n=i.running&&i.model===t.repo_id,c=this._editing===t.key,l=`model-${t.key}`;return o`
      <article class="card model ${a?"loaded":""}" role="listitem" aria-labelledby=${l}
        data-model=${t.key}>
        <h3 id=${l}>${t.name}</h3>
        <div class="repo muted">${t.repo_id}</div>
        <div class="row">
          <span class="badge">${this.t(t.builtin?"models.bundled":"models.custom")}</span>
          <span class="badge">${this.t(`mode.${t.mode}`)}</span>
          ${a?o`<span class="badge" data-loaded><span class="dot ok"></span>${this.t("models.loaded")}</span>`:d}
          ${n?o`<span class="badge"><span class="dot busy"></span>${this.t(`swap_state.${i.state}`)}</span>`:d}
        </div>
        <div class="row">
          <button class="primary" ?disabled=${a||i.running}
            aria-label=${this.t("models.load_named",{name:t.name})}
            @click=${()=>{this._confirm=t}}>${this.t("models.load")}</button>
          <button aria-expanded=${c?"true":"false"} aria-controls=${`settings-${t.key}`}
            aria-label=${this.t("models.settings_named",{name:t.name})}
            @click=${()=>this._toggleSettings(t)}>${this.t("models.settings")}</button>
          ${t.builtin?d:o`<button class="danger" ?disabled=${a}
                aria-label=${this.t("models.remove_named",{name:t.name})}
                @click=${()=>this._remove(t)}>${this.t("models.remove")}</button>`}
        </div>
        ${c&&this._draft?this._renderSettings(t,this._draft):d}
      </article>
    `}_renderSettings(t,s){let i=l=>`${l}-${t.key}`,a=this._fail,n=l=>a?.field===l?"true":"false",c=l=>{this._draft={...s,...l},this._saved=null};return o`
      <form id=${`settings-${t.key}`} novalidate
        aria-label=${this.t("models.settings_named",{name:t.name})}
        @submit=${l=>{l.preventDefault(),this._save(t)}}>
        <label>${this.t("settings.max_model_len")}
          <input id=${i("max_model_len")} name="max_model_len" inputmode="numeric"
            .value=${s.max_model_len} placeholder=${this.t("settings.default")}
            aria-invalid=${n("max_model_len")} aria-describedby=${`${i("max_model_len")}-error`}
            @input=${l=>c({max_model_len:l.target.value})} />
          ${x(a,"max_model_len",`${i("max_model_len")}-error`)}
        </label>
        <label>${this.t("settings.gpu_memory")}
          <input id=${i("gpu")} name="gpu_memory_utilization" inputmode="decimal"
            .value=${s.gpu_memory_pct} placeholder=${this.t("settings.default")}
            aria-invalid=${n("gpu_memory_utilization")} aria-describedby=${`${i("gpu")}-help ${i("gpu")}-error`}
            @input=${l=>c({gpu_memory_pct:l.target.value})} />
          <span class="muted" id=${`${i("gpu")}-help`}>${this.t("settings.gpu_memory_help")}</span>
          ${x(a,"gpu_memory_utilization",`${i("gpu")}-error`)}
        </label>
        <label class="check">
          <input type="checkbox" name="fastsafetensors" .checked=${s.fastsafetensors}
            @change=${l=>c({fastsafetensors:l.target.checked})} />
          ${this.t("settings.fastsafetensors")}
        </label>
        <label>${this.t("settings.prefix_caching")}
          <select name="prefix_caching" .value=${s.prefix_caching}
            @change=${l=>c({prefix_caching:l.target.value})}>
            <option value="default" ?selected=${s.prefix_caching==="default"}>${this.t("settings.vllm_decides")}</option>
            <option value="on" ?selected=${s.prefix_caching==="on"}>${this.t("settings.on")}</option>
            <option value="off" ?selected=${s.prefix_caching==="off"}>${this.t("settings.off")}</option>
          </select>
        </label>
        <label class="check">
          <input type="checkbox" name="fp8_kv_cache" .checked=${s.fp8_kv_cache}
            @change=${l=>c({fp8_kv_cache:l.target.checked})} />
          ${this.t("settings.fp8_kv_cache")}
        </label>
        ${w(a,["max_model_len","gpu_memory_utilization"])}
        ${this._saved===t.key?o`<p class="notice" role="status">${this.t("settings.saved")}</p>`:d}
        <div class="row">
          <button type="submit" class="primary" ?disabled=${this._saving}>${this.t("settings.save")}</button>
          <button type="button" @click=${()=>this._toggleSettings(t)}>${this.t("common.close")}</button>
        </div>
      </form>
    `}_renderConfirm(t){let s=this.snapshot.status.vllm.model;return o`
      <dialog aria-labelledby="confirm-title" aria-describedby="confirm-text"
        @close=${()=>{this._confirm=null}}>
        <h2 id="confirm-title">${this.t("models.confirm_title",{name:t.name})}</h2>
        <p id="confirm-text">
          ${s?this.t("models.confirm_text",{current:s}):this.t("models.confirm_text_empty")}
        </p>
        <div class="row">
          <button @click=${()=>this._closeConfirm()}>${this.t("common.cancel")}</button>
          <button class="primary" @click=${()=>this._load(t)}>${this.t("models.load")}</button>
        </div>
      </dialog>
    `}_closeConfirm(){this.renderRoot.querySelector("dialog")?.close(),this._confirm=null}async _load(t){this._closeConfirm(),this._swapFail=null,this._showLog=!0;try{await this.api.swap(t.key)}catch(s){this._swapFail=_(s)}await this.updateComplete,this.renderRoot.querySelector("#swap-log")?.focus()}_toggleSettings(t){this._fail=null,this._saved=null,this._editing===t.key?(this._editing=null,this._draft=null):(this._editing=t.key,this._draft=It(t.settings))}async _save(t){if(this._draft){this._saving=!0,this._fail=null;try{let{model:s}=await this.api.modelSettings(t.key,se(this._draft));this._draft=It(s.settings),this._saved=t.key}catch(s){this._fail=_(s),await this.updateComplete;let i=this._fail.field;i&&this.renderRoot.querySelector(`input[name="${i}"]`)?.focus()}finally{this._saving=!1}}}async _remove(t){if(window.confirm(this.t("models.remove_confirm",{name:t.name}))){this._swapFail=null;try{await this.api.removeModel(t.key)}catch(s){this._swapFail=_(s)}}}};F.properties={...h.properties,_confirm:{state:!0},_editing:{state:!0},_draft:{state:!0},_saving:{state:!0},_saved:{state:!0},_fail:{state:!0},_swapFail:{state:!0},_showLog:{state:!0}},F.styles=[h.styles,g`
      .model h3 {
        overflow-wrap: anywhere;
      }
      .model.loaded {
        border: 2px solid var(--primary-color, #03a9f4);
      }
      .repo {
        font-family: var(--code-font-family, ui-monospace, monospace);
        font-size: 12px;
        overflow-wrap: anywhere;
      }
      .model .row {
        margin-top: 8px;
      }
      form {
        display: grid;
        gap: 12px;
        margin-top: 12px;
        padding-top: 12px;
        border-top: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
      }
      .swap {
        margin-bottom: 12px;
        display: grid;
        gap: 8px;
      }
      dialog {
        border: none;
        border-radius: 12px;
        padding: 24px;
        max-width: min(92vw, 480px);
        background: var(--card-background-color, #fff);
        color: var(--primary-text-color, #212121);
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.5);
      }
      dialog .row {
        justify-content: flex-end;
        margin-top: 16px;
      }
    `];customElements.get("spark-models")||customElements.define("spark-models",F);var ut=["parakeet","magpie","diarizer"],V=class extends h{constructor(){super(...arguments);this._pending=null;this._fail=null}render(){let t=this.snapshot.status.services,s=n=>ut.includes(n)?ut.indexOf(n):ut.length,i=Object.keys(t).sort((n,c)=>s(n)-s(c)),a=this.snapshot.status.addon;return o`
      <div class="grid" role="list" aria-label=${this.t("services.title")}>
        ${i.map(n=>this._renderService(n,t[n]))}
        ${a?o`<article class="card service" role="listitem" aria-labelledby="svc-addon">
              <h3 id="svc-addon">${this.t("services.addon")}</h3>
              ${this._health(a.ready)}
              <dl><dt>${this.t("services.address")}</dt><dd>${a.url}</dd></dl>
              <p class="muted">${this.t("services.addon_hint")}</p>
            </article>`:d}
      </div>
    `}_health(t){let[s,i]=t===!0?["ok","ready"]:t===!1?["bad","not_ready"]:["","unknown"];return o`<div data-health=${i}><span class="dot ${s}"></span>${this.t(`services.${i}`)}</div>`}_renderService(t,s){let i=this.t(`services.${t}`),a=this._pending!==null&&this._pending.startsWith(`${t}:`),n=["start","stop","restart"],c=this._fail?.service===t?this._fail.failure:null;return o`
      <article class="card service" role="listitem" aria-labelledby=${`svc-${t}`} data-service=${t}>
        <h3 id=${`svc-${t}`}>${i}</h3>
        ${this._health(s.ready)}
        <dl>
          <dt>${this.t("services.container")}</dt><dd data-container>${s.container_state??"—"}</dd>
          ${s.model?o`<dt>${this.t("services.model")}</dt><dd>${s.model}</dd>`:d}
          ${s.base_url?o`<dt>${this.t("services.address")}</dt><dd>${s.base_url}</dd>`:d}
        </dl>
        ${s.controllable?o`<div class="row">
              ${n.map(l=>o`<button ?disabled=${a}
                  aria-label=${this.t(`services.${l}_named`,{name:i})}
                  @click=${()=>this._run(t,l)}>${this.t(`services.${l}`)}</button>`)}
            </div>`:o`<p class="muted">${this.t("services.not_controllable")}</p>`}
        ${a?o`<p role="status">${this.t("services.working")}</p>`:d}
        ${c?o`<p class="error" role="alert">${c.message}</p>`:d}
      </article>
    `}async _run(t,s){this._pending=`${t}:${s}`,this._fail=null;try{await this.api.service(t,s)}catch(i){this._fail={service:t,failure:_(i)}}finally{this._pending=null}}};V.properties={...h.properties,_pending:{state:!0},_fail:{state:!0}},V.styles=[h.styles,g`
      .service {
        display: grid;
        gap: 8px;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 4px 12px;
        margin: 0;
      }
      dt {
        color: var(--secondary-text-color, #727272);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
    `];customElements.get("spark-services")||customElements.define("spark-services",V);var B=class extends h{constructor(){super(...arguments);this._checking=!1;this._fail=null;this._confirming=!1}updated(t){if(t.has("snapshot")){let s=this.renderRoot.querySelector("#update-log");s&&(s.scrollTop=s.scrollHeight)}}render(){let t=this.snapshot.update,s=t.install,i=s?.running??!1,a=t.behind??0;return o`
      <section class="card" aria-labelledby="update-title">
        <h2 id="update-title">${this.t("update.title")}</h2>
        ${t.behind===null?o`<p class="muted">${this.t("update.not_checked")}</p>`:a>0?o`<p class="notice banner" role="status" data-behind=${a}>${this.t("update.behind",{count:a})}</p>`:o`<p role="status" data-behind="0">${this.t("update.up_to_date")}</p>`}
        <p class="muted">
          ${this.t("update.installed",{commit:t.installed??"—"})} ·
          ${this.t("update.upstream",{commit:t.upstream??"—"})}
        </p>
        ${t.error?o`<p class="error" role="alert">${t.error}</p>`:d}
        ${t.release_notes.length?o`<h3>${this.t("update.release_notes")}</h3>
              <ul aria-label=${this.t("update.release_notes")}>
                ${t.release_notes.map(n=>o`<li>${n}</li>`)}
              </ul>`:d}
        ${w(this._fail)}
        <div class="row">
          <button ?disabled=${this._checking||i} @click=${()=>this._check()}>
            ${this.t(this._checking?"update.checking":"update.check")}
          </button>
          ${this._confirming?o`<span>${this.t("update.confirm")}</span>
                <button class="primary" @click=${()=>this._apply()}>${this.t("update.apply_now")}</button>
                <button @click=${()=>{this._confirming=!1}}>${this.t("common.cancel")}</button>`:o`<button class="primary" ?disabled=${i||a===0||t.behind===null}
                @click=${()=>{this._confirming=!0}}>${this.t("update.apply")}</button>`}
        </div>
      </section>
      ${s||this.snapshot.update_log.length?o`<section class="card" aria-labelledby="build-title" style="margin-top:12px">
            <div class="row">
              <h2 id="build-title">${this.t("update.build_log")}</h2>
              <span class="spacer"></span>
              <span role="status" data-install=${i?"running":s?.error?"failed":"done"}>
                <span class="dot ${i?"busy":s?.error?"bad":"ok"}"></span>${this.t(i?"update.installing":s?.error?"update.install_failed":"update.installed_ok")}
              </span>
            </div>
            ${s?.error?o`<p class="error" role="alert">${s.error}</p>`:d}
            <pre id="update-log" class="log" role="log" tabindex="0" aria-label=${this.t("update.build_log")}>${this.snapshot.update_log.join(`
`)}</pre>
          </section>`:d}
    `}async _check(){this._checking=!0,this._fail=null;try{await this.api.updateCheck()}catch(t){this._fail=_(t)}finally{this._checking=!1}}async _apply(){this._confirming=!1,this._fail=null;try{await this.api.updateApply()}catch(t){this._fail=_(t)}}};B.properties={...h.properties,_checking:{state:!0},_fail:{state:!0},_confirming:{state:!0}},B.styles=[h.styles,g`
      section {
        display: grid;
        gap: 12px;
      }
      .banner {
        font-size: 16px;
        font-weight: 500;
      }
      ul {
        margin: 0;
        padding-left: 20px;
        font-family: var(--code-font-family, ui-monospace, monospace);
        font-size: 12px;
        overflow-wrap: anywhere;
      }
      li {
        padding: 2px 0;
      }
    `];customElements.get("spark-update")||customElements.define("spark-update",B);var C=["models","services","download","update","connectivity"],zt="spark_control.panel.entry",ie=3e3,re="spark-control:first-data";performance.mark("spark-control:module");var j=class extends f{constructor(){super(...arguments);this.narrow=!1;this._t=null;this._entries=null;this._entryId=null;this._snapshot=null;this._tab="models";this._error=null;this._unsub=null;this._subscribedTo=null;this._marked=!1;this._started=!1}connectedCallback(){super.connectedCallback(),this.hass&&this._started&&this._subscribe()}disconnectedCallback(){super.disconnectedCallback(),window.clearTimeout(this._retry),this._unsubscribe()}willUpdate(t){t.has("hass")&&this.hass&&!this._started&&(this._started=!0,this._start())}updated(t){t.has("_snapshot")&&this._snapshot&&!this._marked&&(this._marked=!0,performance.mark(re))}async _start(){try{this._t=await Lt(this.hass),await this._loadEntries()}catch(t){this._error=J(t)}}async _loadEntries(){let{entries:t}=await T.entries(this.hass);this._entries=t;let s=new URLSearchParams(window.location.search).get("config_entry")??localStorage.getItem(zt),i=t.filter(n=>n.state==="loaded"),a=t.find(n=>n.entry_id===s)??i[0]??t[0];this._entryId=a?.entry_id??null,await this._subscribe()}async _subscribe(){let t=this._entryId;if(!t||!this.isConnected||this._subscribedTo===t)return;await this._unsubscribe(),this._subscribedTo=t,this._error=null;let s=new T(this.hass,t);try{let i=await s.subscribe(a=>this._onEvent(t,a));if(this._subscribedTo!==t){await i();return}this._unsub=i}catch(i){this._subscribedTo=null,this._error=J(i),this._scheduleRetry()}}async _unsubscribe(){let t=this._unsub;if(this._unsub=null,this._subscribedTo=null,t)try{await t()}catch{}}_onEvent(t,s){if(t===this._entryId){if(s.kind==="closed"){this._snapshot=null,this._unsub=null,this._subscribedTo=null,this._scheduleRetry();return}this._snapshot=Ht(this._snapshot,s)}}_scheduleRetry(){window.clearTimeout(this._retry),this._retry=window.setTimeout(()=>{this.isConnected&&this._loadEntries().catch(t=>{this._error=J(t),this._scheduleRetry()})},ie)}_pickEntry(t){localStorage.setItem(zt,t);let s=new URL(window.location.href);s.searchParams.set("config_entry",t),history.replaceState(history.state,"",s),this._entryId=t,this._snapshot=null,this._subscribe()}_tabKey(t){let s=C.indexOf(this._tab),i={ArrowRight:s+1,ArrowLeft:s-1,Home:0,End:C.length-1};t.key in i&&(t.preventDefault(),this._tab=C[(i[t.key]+C.length)%C.length],this.updateComplete.then(()=>this.renderRoot.querySelector(`#tab-${this._tab}`)?.focus()))}render(){let t=this._t;if(!t)return o`<main><p role="status">…</p>${this._error?o`<p class="error" role="alert">${this._error}</p>`:d}</main>`;let s=this._entries??[];return o`
      <header>
        ${this.narrow||this.hass.dockedSidebar==="always_hidden"?o`<button class="menu" aria-label=${t("panel.menu")} @click=${this._toggleMenu}>
              <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
                <path fill="currentColor" d="M3,6H21V8H3V6M3,11H21V13H3V11M3,16H21V18H3V16Z" />
              </svg>
            </button>`:d}
        <h1>${t("panel.title")}</h1>
        ${s.length>1?o`<label class="visually-hidden" for="entry">${t("panel.cluster")}</label>
              <select id="entry" .value=${this._entryId??""}
                @change=${i=>this._pickEntry(i.target.value)}>
                ${s.map(i=>o`<option value=${i.entry_id} ?selected=${i.entry_id===this._entryId}>
                    ${i.title}${i.state==="loaded"?"":` (${t(`entry_state.${i.state}`)})`}
                  </option>`)}
              </select>`:d}
      </header>
      <main>${this._body(t,s)}</main>
    `}_toggleMenu(){this.dispatchEvent(new CustomEvent("hass-toggle-menu",{bubbles:!0,composed:!0}))}_body(t,s){if(this._entries!==null&&s.length===0)return o`<p class="notice">${t("panel.no_entries")}</p>`;let i=s.find(l=>l.entry_id===this._entryId);if(i&&i.state!=="loaded")return o`<p class="notice" role="status">${t("panel.entry_not_loaded",{title:i.title})}</p>`;if(this._error)return o`<p class="error" role="alert">${this._error}</p>`;let a=this._snapshot;if(!a)return o`<p role="status">${t("panel.loading")}</p>`;let c={api:new T(this.hass,a.entry_id),snapshot:a,t,language:this.hass.language};return o`
      ${this._summary(t,a)}
      <div role="tablist" aria-label=${t("panel.sections")} @keydown=${this._tabKey}>
        ${C.map(l=>o`<button role="tab" id=${`tab-${l}`} aria-selected=${l===this._tab?"true":"false"}
            aria-controls="tabpanel" tabindex=${l===this._tab?"0":"-1"}
            @click=${()=>{this._tab=l}}>${t(`tabs.${l}`)}</button>`)}
      </div>
      <div id="tabpanel" role="tabpanel" aria-labelledby=${`tab-${this._tab}`}>
        ${this._tab==="models"?o`<spark-models .api=${c.api} .snapshot=${a} .t=${t} .language=${c.language}></spark-models>`:d}
        ${this._tab==="services"?o`<spark-services .api=${c.api} .snapshot=${a} .t=${t} .language=${c.language}></spark-services>`:d}
        ${this._tab==="download"?o`<spark-download .api=${c.api} .snapshot=${a} .t=${t} .language=${c.language}></spark-download>`:d}
        ${this._tab==="update"?o`<spark-update .api=${c.api} .snapshot=${a} .t=${t} .language=${c.language}></spark-update>`:d}
        ${this._tab==="connectivity"?o`<spark-connectivity .api=${c.api} .snapshot=${a} .t=${t} .language=${c.language}></spark-connectivity>`:d}
      </div>
    `}_summary(t,s){let i=s.status.vllm,a=s.update.behind??0;return o`
      <section class="card summary" aria-label=${t("panel.summary")}>
        <dl>
          <div><dt>${t("summary.model")}</dt><dd data-current-model>${i.model??t("summary.none")}</dd></div>
          <div><dt>${t("summary.vllm")}</dt><dd>
            <span class="dot ${i.ready?"ok":s.swap.running?"busy":"bad"}"></span>${t(i.ready?"summary.ready":s.swap.running?"summary.loading":"summary.not_ready")}</dd></div>
          ${Object.entries(s.status.nodes).map(([n,c])=>o`<div><dt>${t(`summary.node_${n}`)}</dt><dd>
              <span class="dot ${c.reachable?"ok":"bad"}"></span>${t(c.reachable?"summary.reachable":"summary.unreachable")}</dd></div>`)}
        </dl>
        ${!s.status.available&&s.status.error?o`<p class="error" role="alert">${s.status.error}</p>`:d}
        ${a>0?o`<p class="notice"><button @click=${()=>{this._tab="update"}}>${t("update.behind",{count:a})}</button></p>`:d}
      </section>
    `}};j.properties={hass:{attribute:!1},narrow:{type:Boolean},route:{attribute:!1},panel:{attribute:!1},_t:{state:!0},_entries:{state:!0},_entryId:{state:!0},_snapshot:{state:!0},_tab:{state:!0},_error:{state:!0}},j.styles=[Y,g`
      :host {
        display: block;
        min-height: 100vh;
        background: var(--primary-background-color, #fafafa);
      }
      header {
        position: sticky;
        top: 0;
        z-index: 2;
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 4px 12px;
        min-height: 56px;
        /* HA's own header colours (white on the primary blue) fail WCAG AA contrast. */
        background: var(--card-background-color, #fff);
        color: var(--primary-text-color, #212121);
        border-bottom: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
      }
      header h1 {
        font-size: 20px;
        font-weight: 400;
        margin: 0;
        flex: 1;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      header button.menu {
        border: none;
        background: transparent;
        color: inherit;
        padding: 0;
        width: 48px;
      }
      header select {
        width: auto;
        max-width: 50vw;
      }
      main {
        padding: 16px;
        max-width: 1200px;
        margin: 0 auto;
        display: grid;
        gap: 12px;
      }
      .summary dl {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 24px;
        margin: 0;
      }
      .summary dt {
        color: var(--secondary-text-color, #727272);
        font-size: 12px;
      }
      .summary dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      [role="tablist"] {
        display: flex;
        gap: 4px;
        overflow-x: auto;
        border-bottom: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
        scrollbar-width: thin;
      }
      [role="tab"] {
        border: none;
        border-bottom: 3px solid transparent;
        border-radius: 0;
        background: transparent;
        white-space: nowrap;
      }
      [role="tab"][aria-selected="true"] {
        border-bottom-color: var(--primary-color, #03a9f4);
      }
      @media (max-width: 600px) {
        main {
          padding: 8px;
        }
      }
    `];customElements.get("spark-control-panel")||customElements.define("spark-control-panel",j);export{re as FIRST_DATA_MARK,j as SparkControlPanel};
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
